"""Queries of the detectors (migration 0008): models, state, hour verdicts, events, and the readings they are
computed from. The daily diagnosis has its own queries (storage/diagnosis_queries.py).

Readings are read for many circuits in one query, one row per circuit holding its readings as fixed-width
binary records (a missing value travels as NaN, a flag as 0/1), which numpy reads in place: no Python object
per value. Writes are batched over circuits and run in the caller's transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from fluorowatch.domain.channels import ChannelType, channels

if TYPE_CHECKING:  # the engine pulls in scikit-learn; storage needs only its result types
    from detectors.engine import Event, HourVerdict

FloatArray = npt.NDArray[np.float64]
Frame = dict[str, FloatArray]
Readings = tuple[FloatArray, Frame]  # epoch seconds, and channel key -> values (NaN = missing)
CircuitKey = tuple[int, int]  # (equipment id, circuit number)
CHANNEL_KEYS = tuple(c.key for c in channels())
_PG_EPOCH_S = 946684800.0  # 2000-01-01 UTC, the origin of binary timestamps
_dumps = partial(json.dumps, allow_nan=False, separators=(",", ":"))


def jsonb(value: object) -> Jsonb:
    return Jsonb(value, dumps=_dumps)  # NaN is not JSON: a model or state holding one fails loudly here


# --- readings ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    equipment_id: int
    circuit_no: int
    since: datetime
    until: datetime  # exclusive


def _packed_value(key: str, kind: ChannelType) -> sql.Composable:
    column = sql.Identifier("t", key)
    as_number = sql.SQL("{}::int").format(column) if kind is ChannelType.FLAG else column
    return sql.SQL("float4send(coalesce({}::float4, 'NaN'))").format(as_number)


# One row per window: its readings packed server-side into one bytea of fixed-width records (ts, then every
# channel), in time order (the aggregate reads the index-ordered rows). About twice as fast as an array per
# channel, and numpy reads it in place.
_READINGS = sql.SQL(
    "SELECT a.packed FROM unnest(%(e)s::bigint[], %(c)s::smallint[], %(since)s::timestamptz[],"
    " %(until)s::timestamptz[]) WITH ORDINALITY AS w(e, c, since, until, i)"
    " CROSS JOIN LATERAL (SELECT string_agg(timestamptz_send(t.ts) || {values}, ''::bytea) AS packed"
    " FROM (SELECT * FROM telemetry t WHERE t.equipment_id = w.e AND t.circuit_no = w.c AND t.ts >= w.since"
    " AND t.ts < w.until ORDER BY t.ts) t) a ORDER BY w.i"
).format(values=sql.SQL(" || ").join(_packed_value(c.key, c.type) for c in channels()))
_RECORD = np.dtype([("ts", ">i8"), *((key, ">f4") for key in CHANNEL_KEYS)])  # ts: microseconds since 2000


def read_readings(conn: psycopg.Connection, windows: Sequence[Window]) -> list[Readings]:
    """Each window's readings as (epoch seconds, channel key -> values with NaN for missing), in time order;
    channels without a single value in the window are left out of its frame."""
    if not windows:
        return []
    params = {
        "e": [w.equipment_id for w in windows],
        "c": [w.circuit_no for w in windows],
        "since": [w.since for w in windows],
        "until": [w.until for w in windows],
    }
    with conn.cursor(binary=True) as cur:
        return [_frame(packed) for (packed,) in cur.execute(_READINGS, params)]


def read_circuit_readings(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, since: datetime, until: datetime
) -> Readings:
    """One circuit's readings with since <= ts < until."""
    return read_readings(conn, [Window(equipment_id, circuit_no, since, until)])[0]


def _frame(packed: bytes | None) -> Readings:
    records = np.frombuffer(packed or b"", dtype=_RECORD)
    ts_s = records["ts"].astype(np.float64) / 1e6 + _PG_EPOCH_S
    if (np.diff(ts_s) <= 0).any():  # fed in index order; should that ever change, sort here
        records = records[np.argsort(ts_s, kind="stable")]
        ts_s = np.sort(ts_s)
    frame = {key: records[key].astype(np.float64) for key in CHANNEL_KEYS}
    return ts_s, {key: values for key, values in frame.items() if not np.isnan(values).all()}


# --- models -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredModel:
    version: int
    trained_from: datetime
    trained_until: datetime
    reason: str
    model: Mapping[str, Any]  # detectors.model.CircuitModel.to_json()
    created_at: datetime


def any_model(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM detector_model)").fetchone()
    return bool(row and row[0])


def next_model_version(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> int:
    row = conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM detector_model WHERE equipment_id = %s AND circuit_no = %s",
        (equipment_id, circuit_no),
    ).fetchone()
    assert row is not None
    return int(row[0])


def save_model(conn: psycopg.Connection, equipment_id: int, circuit_no: int, model: StoredModel) -> None:
    """Store a new version; an existing version is never overwritten (the primary key refuses it)."""
    conn.execute(
        """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason, model)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (equipment_id, circuit_no, model.version, model.trained_from, model.trained_until, model.reason,
         jsonb(model.model)),
    )  # fmt: skip


def load_model(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, version: int | None = None
) -> StoredModel | None:
    """The given version, or the active (newest) one when ``version`` is None."""
    row = conn.execute(
        """SELECT version, trained_from, trained_until, reason, model, created_at FROM detector_model
           WHERE equipment_id = %s AND circuit_no = %s AND (%s::int IS NULL OR version = %s)
           ORDER BY version DESC LIMIT 1""",
        (equipment_id, circuit_no, version, version),
    ).fetchone()
    return None if row is None else StoredModel(*row)


def model_versions(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> list[int]:
    rows = conn.execute(
        "SELECT version FROM detector_model WHERE equipment_id = %s AND circuit_no = %s ORDER BY version",
        (equipment_id, circuit_no),
    ).fetchall()
    return [int(v) for (v,) in rows]


# --- the streaming pass -----------------------------------------------------------------------------------

# The first hour a pass judges: the one after the state's watermark, or, for a model without a state of its
# own (new, or re-learned), the hour in which its learning window ended, and never an hour already judged.
_ACTIVE = """JOIN LATERAL (SELECT version, trained_until, model FROM detector_model m
                 WHERE m.equipment_id = w.e AND m.circuit_no = w.c ORDER BY version DESC LIMIT 1) m ON true
             LEFT JOIN detector_state st ON st.equipment_id = w.e AND st.circuit_no = w.c"""
_FIRST_HOUR = """CASE WHEN st.model_version = m.version THEN st.last_hour_utc + interval '1 hour'
                 ELSE greatest(date_trunc('hour', m.trained_until, 'UTC'), st.last_hour_utc + interval '1 hour') END"""


def due_circuits(conn: psycopg.Connection, until: datetime) -> dict[CircuitKey, datetime]:
    """Circuits with an active model and readings in hours not yet judged before ``until``, with the first
    such hour: one query, cheap when nothing is due (an index probe per circuit)."""
    rows = conn.execute(
        f"""SELECT w.e, w.c, f.first_hour FROM (SELECT DISTINCT equipment_id, circuit_no FROM detector_model) AS w(e, c)
            {_ACTIVE}
            CROSS JOIN LATERAL (SELECT {_FIRST_HOUR} AS first_hour) f
            WHERE f.first_hour < %(until)s AND EXISTS (SELECT 1 FROM telemetry t WHERE t.equipment_id = w.e
                AND t.circuit_no = w.c AND t.ts >= f.first_hour AND t.ts < %(until)s)
            ORDER BY 1, 2""",
        {"until": until},
    ).fetchall()
    return {(int(e), int(c)): first_hour for e, c, first_hour in rows}


@dataclass(frozen=True)
class CircuitSpec:
    """What the detectors need of a circuit's unit, from the register."""

    management_no: str
    kind: str
    refrigerant: str
    charge_kg: Decimal  # the circuit's own charge when registered, else the unit's
    rated_output_kw: Decimal | None  # summed over the circuit's compressors (REGULATION.md (b2))


_SPEC = """e.management_no, e.kind, e.refrigerant, coalesce(c.charge_kg, e.charge_kg),
           (SELECT sum(k.rated_output_kw) FROM compressor k WHERE k.equipment_id = w.e AND k.circuit_no = w.c)"""
_CIRCUITS = """JOIN circuit c ON c.equipment_id = w.e AND c.circuit_no = w.c JOIN equipment e ON e.id = w.e"""


def circuit_spec(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> CircuitSpec | None:
    row = conn.execute(
        f"SELECT {_SPEC} FROM (VALUES (%s::bigint, %s::smallint)) AS w(e, c) {_CIRCUITS}", (equipment_id, circuit_no)
    ).fetchone()
    return None if row is None else CircuitSpec(*row)


@dataclass(frozen=True)
class DetectionInputs:
    """What one circuit's pass needs: its unit, the active model and the state."""

    equipment_id: int
    circuit_no: int
    spec: CircuitSpec
    model_version: int
    model: Mapping[str, Any]
    first_hour: datetime
    state: Mapping[str, Any] | None  # None: start afresh (no state, or one of an earlier model)


def load_detection_inputs(conn: psycopg.Connection, keys: Sequence[CircuitKey]) -> list[DetectionInputs]:
    rows = conn.execute(
        f"""SELECT w.e, w.c, {_SPEC}, m.version, m.model, {_FIRST_HOUR},
                CASE WHEN st.model_version = m.version THEN st.state END
            FROM unnest(%s::bigint[], %s::smallint[]) AS w(e, c) {_CIRCUITS} {_ACTIVE}
            ORDER BY 1, 2""",
        ([k[0] for k in keys], [k[1] for k in keys]),
    ).fetchall()
    return [DetectionInputs(int(r[0]), int(r[1]), CircuitSpec(*r[2:7]), *r[7:]) for r in rows]


@dataclass(frozen=True)
class CircuitPass:
    """What one pass produced for one circuit; written together (never a state ahead of its verdicts)."""

    equipment_id: int
    circuit_no: int
    model_version: int
    verdicts: Sequence[HourVerdict]
    events: Sequence[Event]
    state: Mapping[str, Any]  # detectors.engine.CircuitState.to_json()
    last_hour: datetime


def save_passes(conn: psycopg.Connection, passes: Sequence[CircuitPass]) -> None:
    """Hour verdicts (an hour already stored is kept), events (a repeat is dropped) and the new states."""
    if not passes:
        return
    write_hours(conn, passes)
    append_events(conn, passes)
    save_states(conn, passes)


_STAGE_HOURS = "CREATE TEMP TABLE IF NOT EXISTS detector_hour_staging (LIKE detector_hour) ON COMMIT DELETE ROWS"
_HOUR_TYPES = ["int8", "int2", "timestamptz", "int4", "bool", "float8", "float8", "text[]"]


def write_hours(conn: psycopg.Connection, passes: Sequence[CircuitPass]) -> int:
    """Binary COPY into a staging table, then the new hours only; returns how many were new."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_STAGE_HOURS)
        with cur.copy("COPY detector_hour_staging FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_HOUR_TYPES)
            for p in passes:
                for v in p.verdicts:
                    copy.write_row((p.equipment_id, p.circuit_no, _instant(v.hour_s), p.model_version, v.has_data,
                                    _finite(v.lost_pct), _finite(v.sigma_pct), list(v.conditions)))  # fmt: skip
        cur.execute("INSERT INTO detector_hour SELECT * FROM detector_hour_staging ON CONFLICT DO NOTHING")
        inserted = cur.rowcount
        cur.execute("TRUNCATE detector_hour_staging")
    return inserted


def append_events(conn: psycopg.Connection, passes: Sequence[CircuitPass]) -> None:
    rows = [(p.equipment_id, p.circuit_no, _instant(e.ts), e.category, e.status, e.severity,
             _finite(e.estimated_charge_loss_pct), e.detector, e.message,
             None if e.first_seen is None else _instant(e.first_seen), jsonb(list(e.evidence)), p.model_version)
            for p in passes for e in p.events]  # fmt: skip
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO detector_event (equipment_id, circuit_no, ts, category, status, severity,
                   estimated_charge_loss_pct, detector, message, first_seen, evidence, model_version)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (equipment_id, circuit_no, category, status, ts) DO NOTHING""",
            rows,
        )


def save_states(conn: psycopg.Connection, passes: Sequence[CircuitPass]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO detector_state (equipment_id, circuit_no, model_version, last_hour_utc, state, updated_at)
               VALUES (%s, %s, %s, %s, %s, now())
               ON CONFLICT (equipment_id, circuit_no) DO UPDATE SET model_version = EXCLUDED.model_version,
                   last_hour_utc = EXCLUDED.last_hour_utc, state = EXCLUDED.state, updated_at = now()""",
            [(p.equipment_id, p.circuit_no, p.model_version, p.last_hour, jsonb(p.state)) for p in passes],
        )


@dataclass(frozen=True)
class StoredState:
    model_version: int
    last_hour: datetime
    state: Mapping[str, Any]


def load_state(conn: psycopg.Connection, equipment_id: int, circuit_no: int) -> StoredState | None:
    row = conn.execute(
        "SELECT model_version, last_hour_utc, state FROM detector_state WHERE equipment_id = %s AND circuit_no = %s",
        (equipment_id, circuit_no),
    ).fetchone()
    return None if row is None else StoredState(*row)


# --- the register -----------------------------------------------------------------------------------------


def find_circuits(
    conn: psycopg.Connection, management_no: str, site_code: str | None = None, circuit_no: int | None = None
) -> list[CircuitKey]:
    """The circuits of the unit with ``management_no`` (at ``site_code``, when given)."""
    rows = conn.execute(
        """SELECT c.equipment_id, c.circuit_no FROM circuit c JOIN equipment e ON e.id = c.equipment_id
           JOIN site s ON s.id = e.site_id
           WHERE e.management_no = %(no)s AND (%(site)s::text IS NULL OR s.site_code = %(site)s)
               AND (%(circuit)s::int IS NULL OR c.circuit_no = %(circuit)s)
           ORDER BY 1, 2""",
        {"no": management_no, "site": site_code, "circuit": circuit_no},
    ).fetchall()
    return [(int(e), int(c)) for e, c in rows]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _instant(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)
