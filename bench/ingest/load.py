"""Publisher processes standing in for many edge agents: batched telemetry messages at a target rate."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.payload import encode_batch, encode_reading, telemetry_topic
from edge_agent.reading import Reading

SITE = "BENCH"
VALUES = {
    "suction_pressure_mpag": 0.31, "discharge_pressure_mpag": 1.62, "discharge_temp_c": 71.5, "suction_temp_c": -2.4,
    "liquid_temp_c": 31.0, "evap_sat_temp_c": -8.1, "cond_sat_temp_c": 38.2, "compressor_voltage_v": 201.0,
    "compressor_current_a": 12.4, "compressor_power_kw": 3.9, "compressor_shell_temp_c": 55.0, "air_in_temp_c": 2.1,
    "air_out_temp_c": -1.9, "cabinet_temp_c": 1.5, "cabinet_setpoint_c": 2.0, "ambient_temp_c": 24.0,
    "receiver_level_pct": 61.0, "compressor_on": True, "defrost_on": False, "sight_glass_bubbles": False,
}  # fmt: skip


def unit_name(worker: int, unit: int) -> str:
    return f"B{worker:02d}-{unit:04d}"


def publish(
    port: int, prefix: str, worker: int, units: int, per_message: int, rate: float, seconds: float, start: datetime
) -> tuple[int, list[tuple[str, str, float]]]:
    """Publish for `seconds` at `rate` readings/s (0 = as fast as possible); return readings sent and
    (equipment, first ts, send time) of every 20th message for the latency measurement."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{prefix}-{worker}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(20_000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    sent, samples, message_no = 0, [], 0
    began = time.monotonic()
    step = 0
    while (now := time.monotonic()) - began < seconds:
        if rate and sent > rate * (now - began):
            time.sleep(0.002)
            continue
        unit = message_no % units
        first = start + timedelta(minutes=step * per_message)
        equipment = unit_name(worker, unit)
        readings = [
            encode_reading(Reading(equipment, 1, first + timedelta(minutes=i), VALUES)) for i in range(per_message)
        ]
        info = client.publish(
            telemetry_topic(prefix, SITE, equipment, 1), encode_batch(SITE, "bench", equipment, 1, readings), qos=1
        )
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            time.sleep(0.005)
            continue
        if message_no % 20 == 0:
            samples.append((equipment, first.isoformat(), time.time()))
        sent += per_message
        message_no += 1
        if unit == units - 1:
            step += 1
    while client.want_write() or client._out_messages:
        time.sleep(0.05)
        if time.monotonic() - began > seconds + 30:
            break
    client.disconnect()
    client.loop_stop()
    return sent, samples


def start_time() -> datetime:
    return (datetime.now(UTC) - timedelta(days=300)).replace(second=0, microsecond=0)
