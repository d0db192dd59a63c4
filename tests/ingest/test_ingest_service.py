"""Ingest against the real broker and database: stores once, dead-letters with reasons, keeps going."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from fluorowatch.cli import build_parser
from ingest.consumer import LEGACY_SHARE_GROUP, Consumer, subscription_topics
from ingest.pipeline import Pipeline
from ingest.service import Housekeeping, IngestService
from ingest.validation import MAX_MESSAGE_BYTES

from .conftest import SITE, UNIT, Publisher, count_rows, telemetry, wait_until


@contextmanager
def ingest(
    url: str, prefix: str, client_id: str = "ingest-test", housekeeping: Housekeeping | None = None
) -> Iterator[Consumer]:
    consumer = Consumer("mqtt://127.0.0.1:1883", prefix, client_id=f"{client_id}-{prefix}")
    service = IngestService(consumer, lambda: psycopg.connect(url), Pipeline(), max_wait_s=0.05,
                            housekeeping=housekeeping)  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,))
    thread.start()
    assert consumer.connected.wait(10)
    try:
        yield consumer
    finally:
        stop.set()
        thread.join(20)


def test_readings_are_stored_once_even_when_delivered_twice(
    ingest_db: str, publisher: Publisher, topic_prefix: str
) -> None:
    with ingest(ingest_db, topic_prefix):
        for start in (0, 0, 50):  # the second message is a redelivery of the first
            publisher.send(*telemetry(topic_prefix, start, 100))
        wait_until(lambda: count_rows(ingest_db) >= 150)
        time.sleep(0.3)
    assert count_rows(ingest_db) == 150
    assert count_rows(ingest_db, "dead_letter") == 0


def test_bad_messages_go_to_dead_letters_with_reasons_and_ingest_keeps_going(
    ingest_db: str, publisher: Publisher, topic_prefix: str
) -> None:
    good_topic, good = telemetry(topic_prefix, 0, 10)
    wrong_unit_topic = good_topic.replace(UNIT, "SC-99")
    with ingest(ingest_db, topic_prefix):
        publisher.send(good_topic, b"{not json")
        publisher.send(good_topic, good.replace(b"telemetry/1", b"telemetry/9"))
        publisher.send(wrong_unit_topic, good.replace(UNIT.encode(), b"SC-99"))
        publisher.send(good_topic, good.replace(b'"suction_pressure_mpag":0.3', b'"suction_pressure_mpag":99', 1))
        publisher.send(f"{topic_prefix}/v1/{SITE}/agents/gw-1/status", b'{"schema":"x","agent":"gw-1","state":"?"}')
        publisher.send(good_topic, b" " * (MAX_MESSAGE_BYTES + 1))
        publisher.send(*telemetry(topic_prefix, 100, 5))
        wait_until(lambda: count_rows(ingest_db, "dead_letter") >= 6 and count_rows(ingest_db) >= 14)
    with psycopg.connect(ingest_db) as conn:
        reasons = sorted(r for (r,) in conn.execute("SELECT reason FROM dead_letter").fetchall())
        kept = conn.execute("SELECT payload FROM dead_letter WHERE reason = 'malformed_json'").fetchone()
    assert reasons == ["malformed_json", "out_of_range", "oversized", "schema", "schema_version", "unknown_unit"]
    assert kept == (b"{not json",)
    assert count_rows(ingest_db) == 9 + 5


def test_agent_status_is_recorded(ingest_db: str, publisher: Publisher, topic_prefix: str) -> None:
    status = b'{"schema":"fluorowatch.agent-status/1","agent":"gw-1","state":"offline"}'
    with ingest(ingest_db, topic_prefix):
        publisher.send(f"{topic_prefix}/v1/{SITE}/agents/gw-1/status", status)
        wait_until(lambda: count_rows(ingest_db, "agent_status") == 1)
    with psycopg.connect(ingest_db) as conn:
        assert conn.execute("SELECT site_code, agent_id, state FROM agent_status").fetchall() == [
            (SITE, "gw-1", "offline")
        ]


def test_housekeeping_flags_a_silent_circuit_and_builds_rollups_while_ingesting(
    ingest_db: str, publisher: Publisher, topic_prefix: str
) -> None:
    """REGULATION.md (p) イ: circuit 2 of the unit never reports, so a data gap opens for it."""
    with ingest(ingest_db, topic_prefix, housekeeping=Housekeeping(timedelta(minutes=30), every_s=0.5)):
        publisher.send(*telemetry(topic_prefix, 0, 60))  # circuit 1, readings from a month ago
        wait_until(lambda: count_rows(ingest_db) == 60)
        wait_until(lambda: count_rows(ingest_db, "telemetry_hourly") >= 1 and count_rows(ingest_db, "data_gap") >= 2)
    with psycopg.connect(ingest_db) as conn:
        gaps = conn.execute("SELECT circuit_no FROM data_gap WHERE closed_at IS NULL ORDER BY 1").fetchall()
    assert gaps == [(1,), (2,)]  # circuit 1's newest reading is a month old: silent too
    assert count_rows(ingest_db, "telemetry_hourly") >= 1


class _SlowHousekeeping(Housekeeping):
    def __init__(self) -> None:
        super().__init__(timedelta(minutes=30), every_s=0.1)
        self.started = threading.Event()

    def run(self, conn: psycopg.Connection) -> None:
        self.started.set()
        conn.execute("SELECT pg_sleep(60)")  # a rollup refresh over a huge backlog


def test_a_long_housekeeping_query_does_not_hold_up_shutdown(ingest_db: str, topic_prefix: str) -> None:
    slow = _SlowHousekeeping()
    began = None
    with ingest(ingest_db, topic_prefix, housekeeping=slow):
        assert slow.started.wait(10)
        began = time.monotonic()
    assert time.monotonic() - began < 8


def test_a_share_group_needs_mqtt5() -> None:
    with pytest.raises(ValueError, match="needs MQTT 5"):
        Consumer("mqtt://127.0.0.1:1883", "fw", client_id="c", share_group="g", mqtt5=False)


def test_ingest_subscribes_plainly_unless_given_a_share_group() -> None:
    """Plain by default: Mosquitto restores a persistent session's plain subscription after a restart, not a
    shared one (ingest/consumer.py; tests/faults, the broker-restart scenario)."""
    plain = Consumer("mqtt://127.0.0.1:1883", "fw", client_id="c")
    shared = Consumer("mqtt://127.0.0.1:1883", "fw", client_id="c", share_group="g")
    assert plain.topics == ["fw/v1/+/+/+/telemetry", "fw/v1/+/agents/+/status"]
    assert shared.topics == ["$share/g/fw/v1/+/+/+/telemetry", "$share/g/fw/v1/+/agents/+/status"]


def test_a_session_upgraded_from_the_shared_default_drops_that_subscription(
    publisher: Publisher, topic_prefix: str
) -> None:
    """Up to this release every ingest joined `$share/fluorowatch-ingest/...` on its persistent session; kept next
    to the plain subscription, it would deliver every message twice."""
    client_id = f"upgraded-{topic_prefix}"
    old = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    expiry = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    expiry.SessionExpiryInterval = 300
    subscribed = threading.Event()
    old.on_subscribe = lambda *_: subscribed.set()
    old.connect("127.0.0.1", 1883, clean_start=False, properties=expiry)
    old.loop_start()
    old.subscribe(subscription_topics(topic_prefix, LEGACY_SHARE_GROUP)[0], qos=1)
    assert subscribed.wait(10)  # the subscription is in the session
    old.disconnect()
    old.loop_stop()
    consumer = Consumer("mqtt://127.0.0.1:1883", topic_prefix, client_id=client_id)
    consumer.start()
    try:
        assert consumer.connected.wait(10)
        publisher.send(*telemetry(topic_prefix, 0, 3))
        wait_until(lambda: consumer.inbox.qsize() >= 1, timeout_s=10)
        time.sleep(1.0)  # a second delivery, if any, follows within this
        assert consumer.inbox.qsize() == 1
    finally:
        consumer.stop()


@pytest.mark.parametrize("name", ["a/b", "g+", "#", "", "x" * 65])
def test_a_share_group_that_would_change_the_topic_filter_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="up to 64 letters, digits"):
        Consumer("mqtt://127.0.0.1:1883", "fw", client_id="c", share_group=name)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", "--share-group", name])
