"""What ingest stores and what it dead-letters, with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edge_agent.payload import encode_batch, encode_reading, telemetry_topic
from edge_agent.reading import ChannelValue, Reading
from ingest.validation import MAX_MESSAGE_BYTES, Accepted, Reason, RegisteredUnit, Rejection, validate_message

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
UNITS = {("S-1", "SC-01"): RegisteredUnit(7, frozenset({1, 2}))}
TOPIC = telemetry_topic("fw", "S-1", "SC-01", 1)


def _payload(*values: dict[str, ChannelValue], ts: datetime = NOW, circuit: int = 1, equipment: str = "SC-01") -> bytes:
    readings = [encode_reading(Reading(equipment, circuit, ts - timedelta(minutes=i), v)) for i, v in enumerate(values)]
    return encode_batch("S-1", "gw-1", equipment, circuit, readings)


def _rejection(result: Accepted | Rejection) -> Reason:
    assert isinstance(result, Rejection), result
    return result.reason


def test_a_good_message_yields_its_readings_for_the_registered_unit() -> None:
    result = validate_message(TOPIC, _payload({"suction_pressure_mpag": 0.3, "compressor_on": True}), UNITS, NOW)
    assert isinstance(result, Accepted)
    assert result.equipment_id == 7
    assert result.rejections == []
    assert result.readings[0].values == {"suction_pressure_mpag": 0.3, "compressor_on": True}


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b"{not json", Reason.MALFORMED),
        (TOPIC, b'{"schema": "fluorowatch.telemetry/1", "site": "S-1"}', Reason.SCHEMA),
        (TOPIC, _payload({}).replace(b"telemetry/1", b"telemetry/2"), Reason.SCHEMA_VERSION),
        (TOPIC, _payload({}).replace(b'"circuit":1', b'"circuit":"1"'), Reason.SCHEMA),
        (telemetry_topic("fw", "S-1", "SC-01", 2), _payload({}), Reason.TOPIC_MISMATCH),
        (telemetry_topic("fw", "S-1", "SC-99", 1), _payload({}, equipment="SC-99"), Reason.UNKNOWN_UNIT),
        (telemetry_topic("fw", "S-1", "SC-01", 3), _payload({}, circuit=3), Reason.UNKNOWN_CIRCUIT),
        (TOPIC, b" " * (MAX_MESSAGE_BYTES + 1), Reason.OVERSIZED),
    ],
)
def test_a_bad_message_is_rejected_whole_with_its_reason(topic: str, payload: bytes, reason: Reason) -> None:
    assert _rejection(validate_message(topic, payload, UNITS, NOW)) is reason


@pytest.mark.parametrize(
    ("values", "ts", "reason"),
    [
        ({"suction_pressure_mpag": 7.5}, NOW, Reason.OUT_OF_RANGE),
        ({"suction_pressure_mpag": -0.2}, NOW, Reason.OUT_OF_RANGE),
        ({"receiver_level_pct": 101.0}, NOW, Reason.OUT_OF_RANGE),
        ({"suction_pressure_mpag": True}, NOW, Reason.WRONG_TYPE),
        ({"compressor_on": 1}, NOW, Reason.WRONG_TYPE),
        ({"purge_count": 2.5}, NOW, Reason.WRONG_TYPE),
        ({"suction_pressure": 0.3}, NOW, Reason.UNKNOWN_CHANNEL),
        ({}, NOW + timedelta(minutes=11), Reason.FUTURE_TS),
        ({}, NOW - timedelta(days=401), Reason.PAST_TS),
    ],
)
def test_a_bad_reading_is_rejected_alone_and_its_neighbours_kept(
    values: dict[str, ChannelValue], ts: datetime, reason: Reason
) -> None:
    good = {"suction_pressure_mpag": 0.3}
    payload = encode_batch(
        "S-1", "gw-1", "SC-01", 1,
        [encode_reading(Reading("SC-01", 1, NOW - timedelta(minutes=5), good)),
         encode_reading(Reading("SC-01", 1, ts, values))],
    )  # fmt: skip
    result = validate_message(TOPIC, payload, UNITS, NOW)
    assert isinstance(result, Accepted)
    assert [r.values for r in result.readings] == [good]
    assert [(r.reason, r.reading_index) for r in result.rejections] == [(reason, 1)]


def test_missing_values_are_accepted_as_missing() -> None:
    result = validate_message(TOPIC, _payload({"suction_pressure_mpag": None, "compressor_on": None}), UNITS, NOW)
    assert isinstance(result, Accepted) and result.rejections == []


def test_every_simulated_kind_produces_readings_that_ingest_accepts() -> None:
    """The simulator and ingest keep one contract (docs/telemetry-payload.md): types and ranges agree."""
    from edge_agent.simulator.run import simulate, to_readings
    from edge_agent.simulator.scenario import Leak, SimulatedUnit
    from fluorowatch.domain.equipment import EquipmentKind

    start = NOW - timedelta(days=2)
    for kind, refrigerant in [(k, "R123" if k is EquipmentKind.TURBO_CHILLER else "R410A") for k in EquipmentKind]:
        unit = SimulatedUnit(kind=kind, refrigerant=refrigerant, charge_kg=20, seed=5,
                             faults=(Leak(onset=start, rate_pct_per_day=30),))  # fmt: skip
        readings = to_readings(simulate(unit, "SC-01", start, 2 * 96, 900.0))
        payload = encode_batch("S-1", "gw-1", "SC-01", 1, [encode_reading(r) for r in readings])
        result = validate_message(TOPIC, payload, UNITS, NOW)
        assert isinstance(result, Accepted), (kind, result)
        assert result.rejections == [], (kind, result.rejections[:3])
        assert len(result.readings) == len(readings)


def test_the_fast_path_stores_exactly_what_the_reading_by_reading_path_would() -> None:
    from ingest.validation import _validate_reading_by_reading

    payload = _payload(
        {"suction_pressure_mpag": 0.3, "compressor_on": True, "purge_count": 2, "cabinet_temp_c": 3},
        {"suction_pressure_mpag": None, "defrost_on": False},
        {},
    )
    fast = validate_message(TOPIC, payload, UNITS, NOW)
    slow = _validate_reading_by_reading(TOPIC, payload, UNITS, NOW)
    assert isinstance(fast, Accepted) and isinstance(slow, Accepted)
    assert fast.rows == slow.rows
    assert fast.readings[0].values == {"suction_pressure_mpag": 0.3, "compressor_on": True, "purge_count": 2,
                                       "cabinet_temp_c": 3.0}  # fmt: skip
