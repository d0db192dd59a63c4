"""Validating one telemetry message: what is stored, and what goes to the dead-letter table with its reason.

A problem with the message as a whole (not JSON, wrong schema or version, topic and body disagree, unknown unit
or circuit, too large) rejects the message; a problem with one reading (unknown channel, wrong type, value out
of physical range, timestamp too far in the future or past) rejects that reading only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Annotated, Any

import msgspec

from edge_agent.payload import TELEMETRY_SCHEMA, TelemetryMessage, WireReading, decode_telemetry
from edge_agent.reading import Reading
from ingest.ranges import COUNT_CHANNELS, FLAG_CHANNELS, PHYSICAL_RANGES
from storage.telemetry import CHANNEL_KEYS, Row, reading_of, row_of

MAX_MESSAGE_BYTES = 1024 * 1024
MAX_FUTURE = timedelta(minutes=10)  # clock skew of an agent without NTP
MAX_PAST = timedelta(days=400)  # older than the one-year retention (REGULATION.md (p) ハ) plus a margin


class Reason(StrEnum):
    OVERSIZED = "oversized"
    MALFORMED = "malformed_json"
    SCHEMA = "schema"
    SCHEMA_VERSION = "schema_version"
    TOPIC_MISMATCH = "topic_mismatch"
    UNKNOWN_UNIT = "unknown_unit"
    UNKNOWN_CIRCUIT = "unknown_circuit"
    UNKNOWN_CHANNEL = "unknown_channel"
    WRONG_TYPE = "wrong_type"
    OUT_OF_RANGE = "out_of_range"
    FUTURE_TS = "future_timestamp"
    PAST_TS = "past_timestamp"


def _fast_type(key: str) -> Any:
    if key in FLAG_CHANNELS:
        return bool | None
    low, high = PHYSICAL_RANGES[key]
    if key in COUNT_CHANNELS:
        return Annotated[int, msgspec.Meta(ge=int(low), le=int(high))] | None
    return Annotated[float, msgspec.Meta(ge=low, le=high)] | None


_FastValues = msgspec.defstruct(
    "_FastValues", [(key, _fast_type(key), None) for key in CHANNEL_KEYS], forbid_unknown_fields=True
)


class _FastReading(msgspec.Struct, forbid_unknown_fields=True):
    ts: Annotated[datetime, msgspec.Meta(tz=True)]
    values: _FastValues  # type: ignore[valid-type]


class _FastMessage(msgspec.Struct, forbid_unknown_fields=True):
    schema: str
    site: str
    equipment: str
    circuit: int
    agent: str
    readings: list[_FastReading]


_fast_decoder = msgspec.json.Decoder(_FastMessage)
_all_values = attrgetter(*CHANNEL_KEYS)


@dataclass(frozen=True)
class Rejection:
    reason: Reason
    detail: str
    reading_index: int | None = None  # None: the whole message


@dataclass(frozen=True)
class RegisteredUnit:
    equipment_id: int
    circuits: frozenset[int]


# (site code, management number) -> the unit as registered
UnitDirectory = Mapping[tuple[str, str], RegisteredUnit]


@dataclass
class Accepted:
    """The storable rows of a message (COPY-ready, see storage.telemetry.Row) and the readings rejected."""

    equipment_id: int
    rows: list[Row]
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def readings(self) -> list[Reading]:
        return [reading_of(row) for row in self.rows]


def validate_message(topic: str, payload: bytes, units: UnitDirectory, now: datetime) -> Accepted | Rejection:
    """The readings of `payload` that may be stored, with the rejected ones; or why the message is rejected.

    Fast path: one strict decode checks every type and physical range in C; a message it refuses, or with a
    timestamp out of bounds, takes the slow path, which says reading by reading what is wrong.
    """
    if len(payload) > MAX_MESSAGE_BYTES:
        return Rejection(Reason.OVERSIZED, f"{len(payload)} bytes > {MAX_MESSAGE_BYTES}")
    try:
        fast = _fast_decoder.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return _validate_reading_by_reading(topic, payload, units, now)
    problem = _message_problem(topic, fast, units)
    if problem:
        return problem
    earliest, latest = now - MAX_PAST, now + MAX_FUTURE
    if not all(earliest <= r.ts <= latest for r in fast.readings):
        return _validate_reading_by_reading(topic, payload, units, now)
    eid, circuit = units[(fast.site, fast.equipment)].equipment_id, fast.circuit
    return Accepted(eid, [(eid, circuit, r.ts, *_all_values(r.values)) for r in fast.readings])


def _validate_reading_by_reading(
    topic: str, payload: bytes, units: UnitDirectory, now: datetime
) -> Accepted | Rejection:
    try:
        message = decode_telemetry(payload)
    except msgspec.ValidationError as exc:
        return _schema_rejection(payload, str(exc))
    except msgspec.DecodeError as exc:
        return Rejection(Reason.MALFORMED, str(exc))
    problem = _message_problem(topic, message, units)
    if problem:
        return problem
    unit = units[(message.site, message.equipment)]
    accepted = Accepted(unit.equipment_id, [])
    for index, wire in enumerate(message.readings):
        rejection = _reading_problem(wire, now)
        if rejection:
            accepted.rejections.append(Rejection(rejection.reason, rejection.detail, index))
        else:
            reading = Reading(message.equipment, message.circuit, wire.ts, wire.values)
            accepted.rows.append(row_of(unit.equipment_id, reading))
    return accepted


def _schema_rejection(payload: bytes, detail: str) -> Rejection:
    try:
        schema = msgspec.json.decode(payload, type=dict[str, object]).get("schema")
    except (msgspec.DecodeError, msgspec.ValidationError):
        schema = None
    if isinstance(schema, str) and schema != TELEMETRY_SCHEMA:
        return Rejection(Reason.SCHEMA_VERSION, f"schema {schema!r}; this ingest reads {TELEMETRY_SCHEMA!r}")
    return Rejection(Reason.SCHEMA, detail)


def _message_problem(topic: str, message: TelemetryMessage | _FastMessage, units: UnitDirectory) -> Rejection | None:
    if message.schema != TELEMETRY_SCHEMA:
        return Rejection(Reason.SCHEMA_VERSION, f"schema {message.schema!r}; this ingest reads {TELEMETRY_SCHEMA!r}")
    levels = topic.split("/")
    if len(levels) < 5 or levels[-4:] != [message.site, message.equipment, str(message.circuit), "telemetry"]:
        return Rejection(Reason.TOPIC_MISMATCH, f"topic {topic!r} does not match site/equipment/circuit in the body")
    unit = units.get((message.site, message.equipment))
    if unit is None:
        return Rejection(Reason.UNKNOWN_UNIT, f"no unit {message.equipment!r} registered at site {message.site!r}")
    if message.circuit not in unit.circuits:
        return Rejection(Reason.UNKNOWN_CIRCUIT, f"unit {message.equipment!r} has no circuit {message.circuit}")
    return None


def _reading_problem(wire: WireReading, now: datetime) -> Rejection | None:
    if wire.ts.tzinfo is None:
        return Rejection(Reason.SCHEMA, f"timestamp {wire.ts.isoformat()} has no UTC offset")
    if wire.ts > now + MAX_FUTURE:
        return Rejection(
            Reason.FUTURE_TS, f"{wire.ts.isoformat()} is more than {MAX_FUTURE} ahead of {now.isoformat()}"
        )
    if wire.ts < now - MAX_PAST:
        return Rejection(Reason.PAST_TS, f"{wire.ts.isoformat()} is more than {MAX_PAST.days} days old")
    for key, value in wire.values.items():
        problem = _value_problem(key, value)
        if problem:
            return problem
    return None


def _value_problem(key: str, value: float | int | bool | None) -> Rejection | None:
    if value is None:
        return None
    if key in FLAG_CHANNELS:
        return None if isinstance(value, bool) else Rejection(Reason.WRONG_TYPE, f"{key} must be true/false")
    if key not in PHYSICAL_RANGES:
        return Rejection(Reason.UNKNOWN_CHANNEL, f"{key!r} is not a channel of channels.csv")
    if isinstance(value, bool) or (key in COUNT_CHANNELS and not isinstance(value, int)):
        return Rejection(Reason.WRONG_TYPE, f"{key} must be {'an integer' if key in COUNT_CHANNELS else 'a number'}")
    low, high = PHYSICAL_RANGES[key]
    if not low <= value <= high:
        return Rejection(Reason.OUT_OF_RANGE, f"{key}={value} outside [{low}, {high}]")
    return None
