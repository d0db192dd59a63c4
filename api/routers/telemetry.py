"""/api/v1/equipment/{equipment_id}/telemetry and /baseline: the data of the unit page's charts (issue 10).

Telemetry is answered at the resolution the range calls for: raw readings up to 2 days, hourly buckets
(average, lowest, highest) up to 90 days, daily buckets beyond; the buckets come from the rollups
(storage/rollups.py, or TimescaleDB's continuous aggregates), so a year of one unit costs 365 rows a circuit.
``resolution`` asks for one explicitly; no answer holds more than MAX_POINTS timestamps a circuit.

Besides the channels of channels.csv (measurements only: flags and counters have no average), the page charts
superheat and subcooling, derived as the detectors derive them (detectors/derived.py: SH = Ts - Te,
SC = Tc - Td, Te and Tc the controller's when it reports them, else read from Ps and Pd of the unit's
refrigerant). For buckets they are derived from the bucket's averages (exact when the controller reports Te
and Tc; from the average pressure otherwise), and have no lowest and highest value.

The baseline is the circuit's active model's expected value of each value it knows (detectors/baseline.py), for
each hour with readings, from that hour's ambient and setpoint; the charge estimate is the detector's
estimated share of the charge lost (detector_hour.lost_pct). Both are daily averages of the hours for ranges
beyond 90 days. Whoever may see the unit's site may read both; others get 404, as for an unknown unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from alerts.service import visible_site_ids
from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Invalid, NotFound, error_responses
from fluorowatch.domain.channels import channels as all_channels
from storage import telemetry_queries as q
from storage.chart_series import CHARTABLE, PAGE_CHANNELS, channel_values, circuit_baseline, stored_keys
from storage.telemetry_queries import Columns, FloatArray, Resolution, UnitForCharts

router = APIRouter(prefix="/equipment/{equipment_id}", tags=["telemetry"])

RAW_UP_TO = timedelta(days=2)
HOURLY_UP_TO = timedelta(days=90)
DEFAULT_RANGE = timedelta(days=1)
MAX_POINTS = 20_000  # timestamps per circuit: two weeks of raw readings at 60 s, 2.3 years of hours
BUCKET_SECONDS = {Resolution.raw: None, Resolution.hour: 3600, Resolution.day: 86400}

_NOT_SEEN = "no such unit, or not one you may see"
_UNKNOWN = ("channels: unknown channel 'suction_presure' (known: the measurement channels of channels.csv, "
            "superheat_k, subcooling_k)", "channels")  # fmt: skip
_TS = ["2026-03-02T00:00:00+00:00", "2026-03-02T01:00:00+00:00"]
_SERIES_EXAMPLE: dict[str, Any] = {
    "equipment_id": 7, "resolution": "hour", "bucket_seconds": 3600,
    "from": "2026-03-02T00:00:00+00:00", "to": "2026-03-02T02:00:00+00:00",
    "circuits": [{"circuit_no": 1, "ts": _TS, "readings": [60, 60], "channels": {
        "suction_pressure_mpag": {"unit": "MPa gauge", "values": [0.31, 0.3], "min": [0.28, 0.27], "max": [0.35, 0.34]},
        "superheat_k": {"unit": "K", "values": [8.2, 8.6], "min": None, "max": None},
    }}],
}  # fmt: skip
_BASELINE_EXAMPLE: dict[str, Any] = {
    "equipment_id": 7, "resolution": "hour", "from": "2026-03-02T00:00:00+00:00", "to": "2026-03-02T02:00:00+00:00",
    "circuits": [{
        "circuit_no": 1, "model_version": 1, "trained_from": "2026-02-01T00:00:00+00:00",
        "trained_until": "2026-02-15T00:00:00+00:00", "ts": _TS,
        "expected": {"superheat_k": {"unit": "K", "values": [8.0, 8.1], "spread": [0.6, 0.6]}},
        "charge_lost_pct": [0.4, None], "charge_sigma_pct": [1.1, None],
    }],
}  # fmt: skip


class ChannelSeries(BaseModel):
    unit: str
    values: list[float | None] = Field(description="the raw values, or each bucket's average")
    min: list[float | None] | None = Field(default=None, description="each bucket's lowest value (buckets only)")
    max: list[float | None] | None = Field(default=None, description="each bucket's highest value (buckets only)")


class CircuitSeries(BaseModel):
    circuit_no: int
    ts: list[datetime] = Field(description="reading times, or the start of each bucket (UTC)")
    readings: list[int] | None = Field(description="readings in each bucket (buckets only)")
    channels: dict[str, ChannelSeries]


class TelemetryPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SERIES_EXAMPLE]})

    equipment_id: int
    resolution: Resolution
    bucket_seconds: int | None
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    circuits: list[CircuitSeries]


class ExpectedSeries(BaseModel):
    unit: str
    values: list[float | None] = Field(description="the baseline's expected value")
    spread: list[float | None] = Field(description="its spread (one sigma), wider outside the learned weather")


class CircuitBaseline(BaseModel):
    circuit_no: int
    model_version: int | None = Field(description="the active model; null when none is learned yet")
    trained_from: datetime | None
    trained_until: datetime | None
    ts: list[datetime] = Field(description="the start of each hour (or day) with readings (UTC)")
    expected: dict[str, ExpectedSeries]
    charge_lost_pct: list[float | None] = Field(description="the detector's estimated share of the charge lost")
    charge_sigma_pct: list[float | None]


class BaselinePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_BASELINE_EXAMPLE]})

    equipment_id: int
    resolution: Resolution
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    circuits: list[CircuitBaseline]


def _example(value: object) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": value}}}}


Since = Annotated[datetime | None, Query(alias="from", description="start (inclusive); default: a day before `to`")]
Until = Annotated[datetime | None, Query(alias="to", description="end (exclusive); default: now")]
Channels = Annotated[
    str | None,
    Query(description=f"comma-separated channel keys; default: {','.join(PAGE_CHANNELS)}",
          examples=["suction_pressure_mpag,superheat_k"]),
]  # fmt: skip
CircuitNo = Annotated[int | None, Query(ge=1, description="one circuit; default: all of the unit's circuits")]


@router.get(
    "/telemetry",
    summary="The unit's readings over a range, for charts",
    response_model=TelemetryPublic,
    responses={**_example(_SERIES_EXAMPLE), **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _UNKNOWN})},
)
def unit_telemetry(
    equipment_id: int,
    conn: Connection,
    person: CurrentPerson,
    now: Now,
    since: Since = None,
    until: Until = None,
    channels: Channels = None,
    circuit_no: CircuitNo = None,
    resolution: Annotated[
        Resolution | None, Query(description="default: by the range (raw ≤ 2 d, hour ≤ 90 d)")
    ] = None,
) -> TelemetryPublic:
    """One series per channel and circuit. Raw readings for ranges up to 2 days, hourly buckets up to 90 days,
    daily buckets beyond (a day appears once it has ended); at most 20,000 timestamps a circuit (422 beyond)."""
    unit = _visible_unit(conn, equipment_id, person)
    start, end = _range(since, until, now)
    keys = _channels(channels)
    circuits = _circuits(unit, circuit_no)
    chosen = resolution or _resolution_for(end - start)
    if chosen is not Resolution.raw and (end - start).total_seconds() / (BUCKET_SECONDS[chosen] or 1) > MAX_POINTS:
        raise Invalid(f"resolution: more than {MAX_POINTS} {chosen.value}s in the range; choose a longer resolution",
                      field="resolution")  # fmt: skip
    stored = stored_keys(keys)
    series = []
    for number in circuits:
        if chosen is Resolution.raw:
            columns = q.raw_columns(conn, equipment_id, number, stored, start, end, MAX_POINTS + 1)
            if len(columns) > MAX_POINTS:
                if resolution is Resolution.raw:
                    raise Invalid(f"resolution: more than {MAX_POINTS} raw readings of circuit {number} in the range;"
                                  " ask for a shorter range or resolution=hour", field="resolution")  # fmt: skip
                chosen = Resolution.hour  # a range of fast sampling: hours, for every circuit
                return unit_telemetry(equipment_id, conn, person, now, start, end, channels, circuit_no, chosen)
        else:
            columns = q.rollup_columns(conn, q.LEVEL[chosen], equipment_id, number, stored, start, end)
        series.append(_circuit_series(columns, keys, unit.refrigerant))
    return TelemetryPublic(equipment_id=equipment_id, resolution=chosen, bucket_seconds=BUCKET_SECONDS[chosen],
                           since=start, until=end, circuits=series)  # fmt: skip


@router.get(
    "/baseline",
    summary="The unit's learned baseline and charge estimate over a range",
    response_model=BaselinePublic,
    responses={**_example(_BASELINE_EXAMPLE), **error_responses({**AUTH_ERRORS, 404: _NOT_SEEN, 422: _UNKNOWN})},
)
def unit_baseline(
    equipment_id: int,
    conn: Connection,
    person: CurrentPerson,
    now: Now,
    since: Since = None,
    until: Until = None,
    channels: Channels = None,
    circuit_no: CircuitNo = None,
) -> BaselinePublic:
    """Per circuit, the active model's expected values (with their spread) for each hour with readings, and
    the detector's charge estimate for the same hours; daily averages for ranges beyond 90 days. Values the
    baseline does not model (cabinet temperature, say) are left out; no model yet: no expected values."""
    unit = _visible_unit(conn, equipment_id, person)
    start, end = _range(since, until, now)
    keys = _channels(channels)
    daily = end - start > HOURLY_UP_TO
    result = [_circuit_baseline(conn, equipment_id, n, keys, start, end, daily) for n in _circuits(unit, circuit_no)]
    return BaselinePublic(equipment_id=equipment_id, resolution=Resolution.day if daily else Resolution.hour,
                          since=start, until=end, circuits=result)  # fmt: skip


def _visible_unit(conn: psycopg.Connection, equipment_id: int, person: Any) -> UnitForCharts:
    unit = q.unit_for_charts(conn, equipment_id)
    if unit is None or unit.site_id not in visible_site_ids(conn, person):
        raise NotFound(_NOT_SEEN)
    return unit


def _range(since: datetime | None, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    end = _utc(until) if until is not None else now
    start = _utc(since) if since is not None else end - DEFAULT_RANGE
    if start >= end:
        raise Invalid("from: must be before to", field="from")
    return start, end


def _utc(moment: datetime) -> datetime:
    """A time without an offset is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _channels(requested: str | None) -> list[str]:
    if requested is None:
        return list(PAGE_CHANNELS)
    keys = list(dict.fromkeys(k.strip() for k in requested.split(",") if k.strip()))
    if not keys:
        raise Invalid("channels: name at least one channel", field="channels")
    for key in keys:
        if key not in CHARTABLE:
            why = "is a flag or counter, which has no average" if _is_channel(key) else "is not a channel"
            raise Invalid(f"channels: {key!r} {why} (known: the measurement channels of channels.csv, "
                          "superheat_k, subcooling_k)", field="channels")  # fmt: skip
    return keys


def _is_channel(key: str) -> bool:
    return any(c.key == key for c in all_channels())


def _circuits(unit: UnitForCharts, circuit_no: int | None) -> tuple[int, ...]:
    if circuit_no is None:
        return unit.circuits
    if circuit_no not in unit.circuits:
        raise Invalid(f"circuit_no: the unit has no circuit {circuit_no}", field="circuit_no")
    return (circuit_no,)


def _resolution_for(span: timedelta) -> Resolution:
    return Resolution.raw if span <= RAW_UP_TO else Resolution.hour if span <= HOURLY_UP_TO else Resolution.day


def _circuit_series(columns: Columns, keys: Sequence[str], refrigerant: str) -> CircuitSeries:
    result = {}
    for key, found in channel_values(columns, keys, refrigerant).items():
        result[key] = ChannelSeries(
            unit=CHARTABLE[key], values=_listed(found.values),
            min=None if found.low is None else _listed(found.low),
            max=None if found.high is None else _listed(found.high),
        )  # fmt: skip
    return CircuitSeries(circuit_no=columns.circuit_no, ts=columns.ts, readings=columns.readings, channels=result)


def _circuit_baseline(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, keys: Sequence[str], start: datetime,
    end: datetime, daily: bool,
) -> CircuitBaseline:  # fmt: skip
    found = circuit_baseline(conn, equipment_id, circuit_no, keys, start, end, daily)
    model = found.model
    return CircuitBaseline(
        circuit_no=circuit_no,
        model_version=None if model is None else model.version,
        trained_from=None if model is None else model.trained_from,
        trained_until=None if model is None else model.trained_until,
        ts=[datetime.fromtimestamp(t, UTC) for t in found.starts.tolist()],
        expected={
            k: ExpectedSeries(unit=CHARTABLE[k], values=_listed(v), spread=_listed(s))
            for k, (v, s) in found.expected.items()
        },
        charge_lost_pct=_listed(found.lost_pct),
        charge_sigma_pct=_listed(found.sigma_pct),
    )


def _listed(values: FloatArray) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values.tolist()]
