"""Writing readings: binary COPY into a session-local staging table, then one idempotent merge into
`telemetry` keyed by (equipment, circuit, ts), so a redelivered or replayed reading is stored once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
_MERGE = sql.SQL(
    "INSERT INTO telemetry ({cols}) SELECT DISTINCT ON (equipment_id, circuit_no, ts) {cols} FROM telemetry_staging"
    " ON CONFLICT (equipment_id, circuit_no, ts) DO NOTHING"
).format(cols=_COLUMN_LIST)


def write_readings(conn: psycopg.Connection, equipment_ids: Mapping[str, int], readings: Iterable[Reading]) -> int:
    """Store `readings` (equipment by management number -> id in `equipment_ids`) in the caller's transaction.

    Returns the number of new rows; readings already stored are skipped. Raises KeyError for an equipment
    missing from `equipment_ids` (ingest validates before it writes).
    """
    conn.execute(_CREATE_STAGING)
    with conn.cursor() as cur:
        with cur.copy(_COPY) as copy:
            copy.set_types(_TYPES)
            for reading in readings:
                copy.write_row(_row(equipment_ids[reading.equipment], reading))
        cur.execute(_MERGE)
        inserted = cur.rowcount
        cur.execute("TRUNCATE telemetry_staging")
    return inserted


def _row(equipment_id: int, reading: Reading) -> tuple[object, ...]:
    values = reading.values
    return (
        equipment_id,
        reading.circuit,
        reading.ts,
        *(None if (v := values.get(key)) is None else _CONVERT[key](v) for key in CHANNEL_KEYS),
    )
