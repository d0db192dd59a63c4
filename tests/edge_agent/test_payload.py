"""The versioned telemetry payload: what the agent encodes, ingest decodes, unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from edge_agent.payload import (
    TELEMETRY_SCHEMA,
    decode_telemetry,
    encode_batch,
    encode_reading,
    readings_of,
    status_topic,
    telemetry_topic,
)
from edge_agent.reading import Reading

JST = timezone(timedelta(hours=9))


def test_a_batch_round_trips_with_measurement_times_in_utc() -> None:
    readings = [
        Reading("SC-01", 2, datetime(2026, 7, 1, 9, minute, tzinfo=JST), {"suction_pressure_mpag": 0.25 + minute,
                "compressor_on": True, "purge_count": 3, "receiver_level_pct": None})
        for minute in range(3)
    ]  # fmt: skip
    message = decode_telemetry(encode_batch("S-1", "gw-1", "SC-01", 2, [encode_reading(r) for r in readings]))
    assert (message.schema, message.site, message.agent, message.circuit) == (TELEMETRY_SCHEMA, "S-1", "gw-1", 2)
    assert readings_of(message) == readings
    assert readings_of(message)[0].ts.tzinfo == UTC


def test_unknown_fields_and_wrong_types_are_rejected() -> None:
    good = encode_batch("S-1", "gw-1", "SC-01", 1, [])
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        decode_telemetry(good[:-1] + b',"extra":1}')
    with pytest.raises(msgspec.ValidationError, match="circuit"):
        decode_telemetry(good.replace(b'"circuit":1', b'"circuit":"one"'))


def test_topics_put_the_site_first_so_a_broker_acl_can_confine_an_agent_to_its_site() -> None:
    assert telemetry_topic("fw", "S-1", "SC-01", 2) == "fw/v1/S-1/SC-01/2/telemetry"
    assert status_topic("fw", "S-1", "gw-1") == "fw/v1/S-1/agents/gw-1/status"
