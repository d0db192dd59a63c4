"""The telemetry wire format, version 1 (docs/telemetry-payload.md). Shared by the agent and ingest.

Topic:   {prefix}/v1/{site}/{equipment}/{circuit}/telemetry   (one refrigerant circuit per message)
Payload: {"schema": "fluorowatch.telemetry/1", "site": …, "equipment": …, "circuit": 1, "agent": …,
          "readings": [{"ts": "2026-11-23T03:00:00Z", "values": {"suction_pressure_mpag": 0.31, …}}, …]}
Status:  {prefix}/v1/{site}/agents/{agent}/status, retained; the broker publishes the last will "offline".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from edge_agent.reading import ChannelValue, Reading

TELEMETRY_SCHEMA = "fluorowatch.telemetry/1"
STATUS_SCHEMA = "fluorowatch.agent-status/1"
TOPIC_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class WireReading(msgspec.Struct, forbid_unknown_fields=True):
    ts: datetime
    values: dict[str, float | int | bool | None]


class TelemetryMessage(msgspec.Struct, forbid_unknown_fields=True):
    schema: str
    site: str
    equipment: str
    circuit: int
    agent: str
    readings: list[WireReading]


class AgentStatus(msgspec.Struct):
    schema: str
    agent: str
    state: str  # "online" | "offline"
    ts: datetime | None = None
    queue_depth: int | None = None
    dropped_readings: int | None = None


_encoder = msgspec.json.Encoder()
_telemetry_decoder = msgspec.json.Decoder(TelemetryMessage)


def telemetry_topic(prefix: str, site: str, equipment: str, circuit: int) -> str:
    return f"{prefix}/v1/{site}/{equipment}/{circuit}/telemetry"


def status_topic(prefix: str, site: str, agent: str) -> str:
    return f"{prefix}/v1/{site}/agents/{agent}/status"


def encode_reading(reading: Reading) -> bytes:
    """One reading as stored in the agent's queue (its values and measurement time)."""
    return _encoder.encode(WireReading(reading.ts.astimezone(UTC), dict(reading.values)))


def encode_batch(site: str, agent: str, equipment: str, circuit: int, readings: Sequence[bytes]) -> bytes:
    """A telemetry message from queued readings (each as `encode_reading` produced it), order kept."""
    head = _encoder.encode(
        {"schema": TELEMETRY_SCHEMA, "site": site, "equipment": equipment, "circuit": circuit, "agent": agent}
    )
    return head[:-1] + b',"readings":[' + b",".join(readings) + b"]}"


def decode_telemetry(payload: bytes) -> TelemetryMessage:
    """Parse and type-check a telemetry message; `msgspec.ValidationError` / `DecodeError` say what is wrong."""
    return _telemetry_decoder.decode(payload)


def encode_status(status: AgentStatus) -> bytes:
    return _encoder.encode(status)


def readings_of(message: TelemetryMessage) -> list[Reading]:
    values: list[Reading] = []
    for wire in message.readings:
        channel_values: dict[str, ChannelValue] = dict(wire.values)
        values.append(Reading(message.equipment, message.circuit, wire.ts, channel_values))
    return values
