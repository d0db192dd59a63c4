"""Queries of the unit page's charts (issue 10): a unit's readings, or its hourly or daily rollups, over a range;
and the hours the baseline and the charge estimate are drawn on.

Short ranges read raw rows through the telemetry primary key (equipment, circuit, ts); longer ones read the
rollups (storage/rollups.py, or TimescaleDB's continuous aggregates of the same names), so a year of one unit is
365 rows per circuit rather than 525,600. Values come back as numpy columns (NaN = missing) for the derived
values (detectors/derived.py) and for the JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql

from storage.rollups import DAILY, HOURLY, RollupLevel

FloatArray = npt.NDArray[np.float64]


class Resolution(StrEnum):
    raw = "raw"
    hour = "hour"
    day = "day"


LEVEL = {Resolution.hour: HOURLY, Resolution.day: DAILY}


@dataclass(frozen=True)
class UnitForCharts:
    site_id: int
    refrigerant: str
    circuits: tuple[int, ...]


@dataclass(frozen=True)
class Columns:
    """One circuit's rows over a range, in time order: per channel, the raw value or the bucket's average, and,
    for rollups, the bucket's lowest and highest value (NaN where the rollup has none) and its reading count."""

    circuit_no: int
    ts: list[datetime]
    values: dict[str, FloatArray]
    low: dict[str, FloatArray] | None = None
    high: dict[str, FloatArray] | None = None
    readings: list[int] | None = None

    def __len__(self) -> int:
        return len(self.ts)


def unit_for_charts(conn: psycopg.Connection, equipment_id: int) -> UnitForCharts | None:
    row = conn.execute(
        """SELECT e.site_id, e.refrigerant, array(SELECT c.circuit_no FROM circuit c WHERE c.equipment_id = e.id
               ORDER BY c.circuit_no) FROM equipment e WHERE e.id = %s""",
        (equipment_id,),
    ).fetchone()
    return None if row is None else UnitForCharts(int(row[0]), str(row[1]), tuple(int(c) for c in row[2]))


def raw_columns(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, keys: Sequence[str], since: datetime,
    until: datetime, limit: int,
) -> Columns:  # fmt: skip
    """The circuit's readings with since <= ts < until, at most ``limit`` of them (the oldest)."""
    query = sql.SQL(
        "SELECT ts, {columns} FROM telemetry WHERE equipment_id = %s AND circuit_no = %s AND ts >= %s AND ts < %s"
        " ORDER BY ts LIMIT %s"
    ).format(columns=sql.SQL(", ").join(sql.SQL("{}::float8").format(sql.Identifier(k)) for k in keys))
    rows = conn.execute(query, (equipment_id, circuit_no, since, until, limit)).fetchall()
    return Columns(circuit_no, [r[0] for r in rows], _float_columns(rows, keys, 1))


def rollup_columns(
    conn: psycopg.Connection, level: RollupLevel, equipment_id: int, circuit_no: int, keys: Sequence[str],
    since: datetime, until: datetime,
) -> Columns:  # fmt: skip
    """The circuit's buckets that start in since <= bucket < until: averages, extremes and reading counts."""
    extremes = rollup_has_extremes(conn, level)

    def extreme(key: str, suffix: str) -> sql.Composable:
        return sql.Identifier(f"{key}_{suffix}") if extremes else sql.SQL("NULL::float8")

    selected = [sql.Identifier(k) for k in keys] + [extreme(k, "min") for k in keys] + [extreme(k, "max") for k in keys]
    query = sql.SQL(
        "SELECT {bucket}, readings, {columns} FROM {table} WHERE equipment_id = %s AND circuit_no = %s"
        " AND {bucket} >= %s AND {bucket} < %s ORDER BY {bucket}"
    ).format(
        bucket=sql.Identifier(level.bucket_column),
        columns=sql.SQL(", ").join(selected),
        table=sql.Identifier(level.table),
    )
    rows = conn.execute(query, (equipment_id, circuit_no, since, until)).fetchall()
    n = len(keys)
    return Columns(
        circuit_no,
        [r[0] for r in rows],
        _float_columns(rows, keys, 2),
        _float_columns(rows, keys, 2 + n),
        _float_columns(rows, keys, 2 + 2 * n),
        [int(r[1]) for r in rows],
    )


def rollup_has_extremes(conn: psycopg.Connection, level: RollupLevel) -> bool:
    """False for a TimescaleDB aggregate created before migration 0016 (it has averages only)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s"
        " AND NOT attisdropped)",
        (level.table, "suction_pressure_mpag_min"),
    ).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class BaselineHours:
    """What the baseline and the charge estimate are drawn from: the circuit's hours with readings (hourly
    rollup, start in epoch seconds), their ambient and setpoint (the baseline's explanatory values), and the
    detector's estimate of the share of the charge lost in each (NaN where the detector did not judge the hour)."""

    hour_s: FloatArray
    ambient_temp_c: FloatArray
    cabinet_setpoint_c: FloatArray
    lost_pct: FloatArray
    sigma_pct: FloatArray


def baseline_hours(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, since: datetime, until: datetime
) -> BaselineHours:
    # A year is 8,760 hours: they travel as one bytea of big-endian float8 records that numpy reads in place
    # (as storage/detector_queries.py reads readings), not as a Python object per value.
    row = conn.execute(
        """SELECT string_agg(float8send(extract(epoch FROM h.hour_utc)::float8)
                   || float8send(coalesce(h.ambient_temp_c, 'NaN')) || float8send(coalesce(h.cabinet_setpoint_c, 'NaN'))
                   || float8send(coalesce(d.lost_pct, 'NaN')) || float8send(coalesce(d.sigma_pct, 'NaN')),
                   ''::bytea ORDER BY h.hour_utc)
           FROM telemetry_hourly h LEFT JOIN detector_hour d ON d.equipment_id = h.equipment_id
               AND d.circuit_no = h.circuit_no AND d.hour_utc = h.hour_utc
           WHERE h.equipment_id = %s AND h.circuit_no = %s AND h.hour_utc >= %s AND h.hour_utc < %s""",
        (equipment_id, circuit_no, since, until),
        binary=True,
    ).fetchone()
    packed = b"" if row is None or row[0] is None else bytes(row[0])
    records = np.frombuffer(packed, dtype=">f8").reshape(-1, 5).astype(np.float64)
    return BaselineHours(*(records[:, i] for i in range(5)))


@dataclass(frozen=True)
class ActiveModel:
    version: int
    trained_from: datetime
    trained_until: datetime
    model: dict[str, object]


def active_model(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> ActiveModel | None:
    """The circuit's newest model (detector_model, migration 0008), the one its detector judges with."""
    row = conn.execute(
        """SELECT version, trained_from, trained_until, model FROM detector_model
           WHERE equipment_id = %s AND circuit_no = %s ORDER BY version DESC LIMIT 1""",
        (equipment_id, circuit_no),
    ).fetchone()
    return None if row is None else ActiveModel(int(row[0]), row[1], row[2], row[3])


def _float_columns(rows: Sequence[tuple[object, ...]], keys: Sequence[str], first: int) -> dict[str, FloatArray]:
    """Columns first.. of ``rows`` as float arrays, None as NaN."""
    if not rows:
        return {key: np.empty(0) for key in keys}
    table = np.array([r[first : first + len(keys)] for r in rows], dtype=np.float64)  # None -> NaN
    return {key: table[:, i] for i, key in enumerate(keys)}
