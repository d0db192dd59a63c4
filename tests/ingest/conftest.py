"""A database with a registered unit, and a publisher, for ingest's tests against the real services."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from psycopg import sql

from edge_agent.payload import encode_batch, encode_reading, telemetry_topic
from edge_agent.reading import Reading
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from storage.registry import save_equipment, save_site

SITE, UNIT = "S-ING", "SC-01"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


@pytest.fixture
def ingest_db(new_migrated_database: Callable[[str], str], request: pytest.FixtureRequest) -> str:
    url = new_migrated_database(f"ingest_{abs(hash(request.node.name)) % 10**8}")
    with psycopg.connect(url) as conn:
        site_id = save_site(conn, Site(SITE, "Ingest store", "13", "Tokyo", OrgPath.parse("Ingest Co")))
        circuits = (
            RefrigerantCircuit(1, (Compressor(Decimal("3.7")),)),
            RefrigerantCircuit(2, (Compressor(Decimal("3.7")),)),
        )
        save_equipment(conn, site_id, Equipment(UNIT, EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal("8"), circuits))
    return url


def telemetry(prefix: str, start_minute: int, count: int, circuit: int = 1) -> tuple[str, bytes]:
    readings = [
        encode_reading(Reading(UNIT, circuit, T0 + timedelta(minutes=m), {"suction_pressure_mpag": 0.3}))
        for m in range(start_minute, start_minute + count)
    ]
    return telemetry_topic(prefix, SITE, UNIT, circuit), encode_batch(SITE, "gw-1", UNIT, circuit, readings)


class Publisher:
    def __init__(self, port: int = 1883) -> None:
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    p = Publisher()
    yield p
    p.close()


def count_rows(url: str, table: str = "telemetry") -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        return int(row[0]) if row else 0


def wait_until(predicate: Callable[[], bool], timeout_s: float = 60) -> None:
    """Poll `predicate` until it holds or `timeout_s` passes (the caller asserts the outcome)."""
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
