"""Real brokers for the agent's tests: the machine's Mosquitto, and private ones the tests stop and start."""

from __future__ import annotations

import getpass
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge_agent.payload import decode_telemetry, readings_of
from edge_agent.reading import Reading
from fluorowatch.runtime import free_port, mqtt_answers


class PrivateMosquitto:
    """A mosquitto of the test's own on a free loopback port, with persistence, that can be stopped."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.config = workdir / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\nuser {getpass.getuser()}\n"
            f"persistence_location {workdir}/\nlog_dest file {workdir}/mosquitto.log\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(["mosquitto", "-c", str(self.config)])
        deadline = time.monotonic() + 10
        while not mqtt_answers("127.0.0.1", self.port, timeout_s=0.5):
            assert time.monotonic() < deadline, "private mosquitto did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        """A graceful stop: mosquitto saves its sessions and queued messages."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    broker = PrivateMosquitto(tmp_path)
    broker.start()
    yield broker
    broker.stop()


class Collector:
    """A persistent-session subscriber that keeps every telemetry reading it receives, in arrival order."""

    def __init__(self, port: int, prefix: str) -> None:
        self.readings: list[Reading] = []
        self.statuses: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"collector-{prefix}", protocol=MQTTProtocolVersion.MQTTv5
        )
        self._client.on_connect = lambda c, u, f, r, p: c.subscribe(f"{prefix}/v1/#", qos=1)
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(1, 2)
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600
        self._client.connect("127.0.0.1", port, clean_start=False, properties=properties)
        self._client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            if message.topic.endswith("/telemetry"):
                self.readings.extend(readings_of(decode_telemetry(bytes(message.payload))))
            else:
                self.statuses.append(msgspec.json.decode(message.payload))

    def keys(self) -> list[tuple[str, int, datetime]]:
        with self._lock:
            return [(r.equipment, r.circuit, r.ts) for r in self.readings]

    def wait_for(self, count: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while len(set(self.keys())) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class ScriptedDriver:
    """A stand-in device that measures one reading per circuit on every read, one minute apart."""

    def __init__(self, equipment: str, circuits: tuple[int, ...], start: datetime, limit: int) -> None:
        self.equipment, self.circuits, self.limit = equipment, circuits, limit
        self.next_ts, self.produced = start, 0
        self.closed = False

    def read(self, now: datetime) -> list[Reading]:
        if self.produced >= self.limit:
            return []
        readings = [
            Reading(self.equipment, c, self.next_ts, {"suction_pressure_mpag": 0.3 + self.produced / 1000,
                                                       "compressor_on": True})
            for c in self.circuits
        ]  # fmt: skip
        self.produced += 1
        self.next_ts += timedelta(minutes=1)
        return readings

    def close(self) -> None:
        self.closed = True


START = datetime(2026, 1, 5, tzinfo=UTC)
