"""Where the database and broker come from: explicit settings, local services, or embedded ones."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from fluorowatch.runtime import free_port, mqtt_answers, resolve_services


def _round_trip(port: int, topic: str) -> bytes:
    received: list[bytes] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        received.append(bytes(message.payload))
        done.set()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        client.publish(topic, b"ping", qos=1).wait_for_publish(5)
        assert done.wait(5)
    finally:
        client.disconnect()
        client.loop_stop()
    return received[0]


def test_explicit_urls_are_used_as_given(database_url: str, tmp_path: Path) -> None:
    said: list[str] = []
    with resolve_services(database_url, "mqtt://broker.example:1883", tmp_path, say=said.append) as services:
        assert (services.database_url, services.mqtt_url) == (database_url, "mqtt://broker.example:1883")
    assert said == ["database: DATABASE_URL", "broker: MQTT_URL"]


def test_local_services_are_used_when_they_answer(new_database: Callable[[str], str], tmp_path: Path) -> None:
    local_db = new_database("runtime_local")
    if not mqtt_answers("127.0.0.1", 1883):
        pytest.fail("the local Mosquitto on 127.0.0.1:1883 is down: .ci/run starts it")
    with resolve_services(None, None, tmp_path, local_database_url=local_db, say=lambda _: None) as services:
        assert services.database_url == local_db
        assert services.mqtt_url == "mqtt://127.0.0.1:1883"
    assert not (tmp_path / "postgres").exists()


@pytest.mark.slow
def test_embedded_postgres_and_broker_start_when_nothing_answers(tmp_path: Path, run_id: str) -> None:
    unreachable_db = f"postgresql://postgres@127.0.0.1:{free_port()}/fluorowatch"
    unreachable_mqtt = f"mqtt://127.0.0.1:{free_port()}"
    said: list[str] = []
    with resolve_services(
        None, None, tmp_path, local_database_url=unreachable_db, local_mqtt_url=unreachable_mqtt, say=said.append
    ) as services:
        with psycopg.connect(services.database_url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("fluorowatch",)
        port = int(services.mqtt_url.rsplit(":", 1)[1])
        assert _round_trip(port, f"fwtest/{run_id}/embedded") == b"ping"
    assert any("starting an embedded one" in line for line in said if line.startswith("database"))
    assert any("embedded MQTT broker" in line for line in said)
    assert not mqtt_answers("127.0.0.1", port, timeout_s=0.5)
