"""Ingest's metrics and health as a real process against the real broker and database: every message is
counted once received, and as accepted or rejected by its dead-letter reason; /healthz and /readyz answer."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge_agent.payload import encode_batch, encode_reading, telemetry_topic
from edge_agent.reading import Reading

from .conftest import SITE, T0, UNIT, Publisher, count_rows, telemetry, wait_until
from .test_ingest_process import IngestProcess, forget_session


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = _get(port, "/metrics")[1].decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def ingest(ingest_db: str, topic_prefix: str, run_id: str) -> Iterator[IngestProcess]:
    client_id = f"ingest-metrics-{run_id}-{time.monotonic_ns()}"
    process = IngestProcess(ingest_db, topic_prefix, client_id)
    yield process
    if process.process.poll() is None:
        process.stop()
    forget_session(client_id)


def test_received_accepted_and_rejected_messages_are_counted_exactly(
    ingest: IngestProcess, ingest_db: str, publisher: Publisher, topic_prefix: str
) -> None:
    port = ingest.metrics_port
    wait_until(lambda: _get(port, "/readyz")[0] == 200, timeout_s=60)  # subscribed, database reachable
    assert json.loads(_get(port, "/readyz")[1]) == {"status": "ok", "checks": {"database": "ok", "mqtt": "ok"}}
    assert _get(port, "/healthz")[0] == 200

    good, malformed = 7, 4
    for n in range(good):
        publisher.send(*telemetry(topic_prefix, n * 10, 10))
    topic = telemetry_topic(topic_prefix, SITE, UNIT, 1)
    for _ in range(malformed):
        publisher.send(topic, b'{"schema": "fluorowatch.telemetry/1", not json')
    stranger = [encode_reading(Reading("NOPE", 1, T0, {"suction_pressure_mpag": 0.3}))]
    publisher.send(telemetry_topic(topic_prefix, SITE, "NOPE", 1), encode_batch(SITE, "gw-1", "NOPE", 1, stranger))
    publisher.send(telemetry_topic(topic_prefix, SITE, UNIT, 2), telemetry(topic_prefix, 500, 1)[1])  # circuit 1
    huge = [encode_reading(Reading(UNIT, 1, T0, {"suction_pressure_mpag": 99.0}))]  # a reading out of range
    publisher.send(topic, encode_batch(SITE, "gw-1", UNIT, 1, huge))
    total = good + malformed + 3

    wait_until(lambda: _samples(port).get(("fw_ingest_messages_received_total", ()), 0) >= total)
    time.sleep(0.5)  # nothing more arrives
    samples = _samples(port)
    assert samples[("fw_ingest_messages_received_total", ())] == total
    assert samples[("fw_ingest_messages_accepted_total", ())] == good + 1  # the one with a rejected reading
    rejected = {
        dict(labels)["reason"]: value
        for (name, labels), value in samples.items()
        if name == "fw_ingest_messages_rejected_total" and value
    }
    assert rejected == {"malformed_json": malformed, "unknown_unit": 1, "topic_mismatch": 1}
    assert samples[("fw_ingest_readings_rejected_total", (("reason", "out_of_range"),))] == 1
    assert samples[("fw_ingest_readings_total", ())] == good * 10
    assert samples[("fw_ingest_rows_stored_total", ())] == good * 10 == count_rows(ingest_db)
    assert samples[("fw_ingest_batch_seconds_count", ())] >= 1
    assert samples[("fw_ingest_lag_seconds", ())] > 0
    assert count_rows(ingest_db, "dead_letter") == malformed + 3
    assert ingest.stop() == 0
