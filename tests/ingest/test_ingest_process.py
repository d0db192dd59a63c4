"""Ingest as real processes: killed with -9 mid-stream it loses nothing; two instances share the load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from fluorowatch.runtime import free_port

from .conftest import Publisher, count_rows, telemetry, wait_until

READINGS_PER_MESSAGE = 50


class IngestProcess:
    def __init__(self, database_url: str, prefix: str, client_id: str, *share: str) -> None:
        self.client_id, self.metrics_port = client_id, free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_")}
        env.update(DATABASE_URL=database_url, FLUOROWATCH_TOPIC_PREFIX=prefix, FLUOROWATCH_LOG_LEVEL="WARNING")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fluorowatch", "ingest", "--client-id", client_id,
             "--metrics-port", str(self.metrics_port), *share], env=env,
        )  # fmt: skip

    def messages_seen(self) -> float:
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).read().decode()
        for line in text.splitlines():
            if line.startswith("fw_ingest_messages_received_total "):
                return float(line.split()[-1])
        return 0.0

    def ready(self) -> bool:
        try:
            self.messages_seen()
        except OSError:
            return False
        return True

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if sig == signal.SIGTERM:
            wait_until(self.ready, timeout_s=30)  # its signal handler is in place once it serves metrics
        self.process.send_signal(sig)
        return self.process.wait(20)


def forget_session(client_id: str) -> None:
    """End the broker's persistent session of a test ingest so nothing is left on the shared broker."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    client.connect("127.0.0.1", 1883, clean_start=True)
    client.loop_start()
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()


@pytest.fixture
def client_ids(run_id: str) -> Iterator[list[str]]:
    ids = [f"ingest-{run_id}-{n}" for n in range(2)]
    yield ids
    for client_id in ids:
        forget_session(client_id)


def _publish_all(publisher: Publisher, prefix: str, first: int, count: int) -> None:
    for n in range(first, first + count):
        publisher.send(*telemetry(prefix, n * READINGS_PER_MESSAGE, READINGS_PER_MESSAGE))


def _subscribed(ingest_db: str, publisher: Publisher, prefix: str) -> None:
    """A probe stored proves the shared subscription is in place (it is sent again until then: stored once)."""
    deadline = time.monotonic() + 60
    while count_rows(ingest_db) < 1 and time.monotonic() < deadline:
        publisher.send(*telemetry(prefix, -1, 1))
        time.sleep(0.5)
    assert count_rows(ingest_db) == 1


@pytest.mark.slow
def test_an_ingest_killed_mid_stream_loses_nothing_and_duplicates_nothing(
    ingest_db: str, publisher: Publisher, topic_prefix: str, client_ids: list[str]
) -> None:
    messages = 600
    first = IngestProcess(ingest_db, topic_prefix, client_ids[0])
    _subscribed(ingest_db, publisher, topic_prefix)
    sender = threading.Thread(target=_publish_all, args=(publisher, topic_prefix, 0, messages))
    sender.start()
    wait_until(lambda: count_rows(ingest_db) > 1000)
    first.stop(signal.SIGKILL)  # somewhere between receiving, committing and acknowledging
    stored_at_kill = count_rows(ingest_db)
    sender.join(60)
    assert stored_at_kill < 1 + messages * READINGS_PER_MESSAGE  # the kill did land mid-stream
    second = IngestProcess(ingest_db, topic_prefix, client_ids[0])  # same session: the broker redelivers
    wait_until(lambda: count_rows(ingest_db) >= 1 + messages * READINGS_PER_MESSAGE)
    time.sleep(0.5)
    assert second.stop() == 0
    assert count_rows(ingest_db) == 1 + messages * READINGS_PER_MESSAGE
    assert count_rows(ingest_db, "dead_letter") == 0


@pytest.mark.slow
def test_two_ingest_processes_share_the_load_without_duplicates(
    ingest_db: str, publisher: Publisher, topic_prefix: str, client_ids: list[str]
) -> None:
    messages = 200
    share = ("--share-group", f"fw-ingest-{topic_prefix}")
    ingests = [IngestProcess(ingest_db, topic_prefix, client_id, *share) for client_id in client_ids]
    _subscribed(ingest_db, publisher, topic_prefix)
    time.sleep(1.0)  # both members of the shared subscription are in
    _publish_all(publisher, topic_prefix, 0, messages)
    wait_until(lambda: count_rows(ingest_db) >= 1 + messages * READINGS_PER_MESSAGE)
    seen = [i.messages_seen() for i in ingests]
    assert [i.stop() for i in ingests] == [0, 0]
    assert count_rows(ingest_db) == 1 + messages * READINGS_PER_MESSAGE
    assert sum(seen) == 1 + messages
    assert min(seen) > messages / 10, seen
