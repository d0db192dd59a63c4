"""Writing readings so that a redelivered or replayed reading is stored once, keyed by (equipment, circuit, ts).

The common case, a batch of new readings, is one binary COPY straight into `telemetry` under a savepoint. When
the batch repeats a stored reading (redelivery after a crash or reconnect) the unique key refuses the COPY, the
savepoint is rolled back, and the batch goes the careful way: COPY into a session-local staging table, then
`INSERT … ON CONFLICT DO NOTHING` into `telemetry`.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from edge_agent.reading import Reading
from fluorowatch.domain.channels import ChannelType, channels

_PG_TYPE = {ChannelType.MEASUREMENT: "float4", ChannelType.FLAG: "bool", ChannelType.COUNT: "int4"}
CHANNEL_KEYS = tuple(c.key for c in channels())
_COLUMNS = ("equipment_id", "circuit_no", "ts", *CHANNEL_KEYS)
_TYPES = ["int8", "int2", "timestamptz", *(_PG_TYPE[c.type] for c in channels())]
_CONVERT = {c.key: (bool if c.type is ChannelType.FLAG else int if c.type is ChannelType.COUNT else float)
            for c in channels()}  # fmt: skip

_COLUMN_LIST = sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
_CREATE_STAGING = sql.SQL(
    "CREATE TEMP TABLE IF NOT EXISTS telemetry_staging (LIKE telemetry INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_COPY = sql.SQL("COPY telemetry_staging ({}) FROM STDIN (FORMAT BINARY)").format(_COLUMN_LIST)
_COPY_DIRECT = sql.SQL("COPY telemetry ({}) FROM STDIN (FORMAT BINARY)").format(_COLUMN_LIST)
_MERGE = sql.SQL(
    # DO NOTHING also skips a row that repeats an earlier row of the same statement: no DISTINCT (no sort) needed.
    "INSERT INTO telemetry ({cols}) SELECT {cols} FROM telemetry_staging"
    " ON CONFLICT (equipment_id, circuit_no, ts) DO NOTHING"
).format(cols=_COLUMN_LIST)


Row = tuple[object, ...]  # (equipment_id, circuit_no, ts, *values in CHANNEL_KEYS order)


def write_readings(conn: psycopg.Connection, readings: Iterable[tuple[int, Reading]]) -> int:
    """Store (equipment id, reading) pairs in the caller's transaction; return how many rows were new."""
    return write_rows(conn, (row_of(equipment_id, reading) for equipment_id, reading in readings))


def write_rows(conn: psycopg.Connection, rows: Iterable[Row]) -> int:
    """Store rows in the caller's transaction; return how many were new.

    Rows already stored (same equipment, circuit and ts) are skipped, so redelivery never duplicates.
    """
    batch = rows if isinstance(rows, list) else list(rows)
    if conn.autocommit:  # staging rows live until commit: the whole write needs one transaction
        with conn.transaction():
            return _write(conn, batch)
    return _write(conn, batch)


def _write(conn: psycopg.Connection, batch: list[Row]) -> int:
    conn.execute(_CREATE_STAGING)  # also opens the caller's transaction if none is open yet
    try:
        with conn.transaction(), conn.cursor() as cur:  # a savepoint inside the caller's transaction
            _copy(cur, _COPY_DIRECT, batch)
        return len(batch)
    except psycopg.errors.UniqueViolation:
        pass
    with conn.cursor() as cur:
        _copy(cur, _COPY, batch)
        cur.execute(_MERGE)
        inserted = cur.rowcount
        cur.execute("TRUNCATE telemetry_staging")
    return inserted


def _copy(cur: psycopg.Cursor[tuple[object, ...]], statement: sql.Composed, rows: list[Row]) -> None:
    with cur.copy(statement) as copy:
        copy.set_types(_TYPES)
        for row in rows:
            copy.write_row(row)


def row_of(equipment_id: int, reading: Reading) -> Row:
    values = reading.values
    return (
        equipment_id,
        reading.circuit,
        reading.ts,
        *(None if (v := values.get(key)) is None else _CONVERT[key](v) for key in CHANNEL_KEYS),
    )


def reading_of(row: Row, equipment: str = "") -> Reading:
    """The reading a row holds (its non-null values), for code that wants readings rather than rows."""
    values = {key: value for key, value in zip(CHANNEL_KEYS, row[3:], strict=True) if value is not None}
    return Reading(equipment, int(row[1]), row[2], values)  # type: ignore[arg-type, call-overload]
