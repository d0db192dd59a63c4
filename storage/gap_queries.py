"""Keeping track of when each circuit last reported, and opening/closing data-gap signals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import psycopg

from storage.telemetry import Row


def note_last_seen(conn: psycopg.Connection, rows: Iterable[Row]) -> datetime | None:
    """Advance each circuit's newest measurement time (one upsert per circuit of the batch); return the
    newest measurement time of the batch (None for an empty one)."""
    newest: dict[tuple[object, object], datetime] = {}
    for row in rows:
        key, ts = (row[0], row[1]), row[2]
        assert isinstance(ts, datetime)
        if key not in newest or ts > newest[key]:
            newest[key] = ts
    if not newest:
        return None
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO circuit_last_seen (equipment_id, circuit_no, last_ts, last_received)
               VALUES (%s, %s, %s, now())
               ON CONFLICT (equipment_id, circuit_no) DO UPDATE
               SET last_ts = greatest(circuit_last_seen.last_ts, EXCLUDED.last_ts), last_received = now()""",
            [(eid, circuit, ts) for (eid, circuit), ts in newest.items()],
        )
    return max(newest.values())


def refresh_data_gaps(conn: psycopg.Connection, now: datetime, silent_after: timedelta) -> tuple[int, int]:
    """Open a gap for every registered circuit in service silent longer than `silent_after` and for every
    agent reported offline; close those that reported again. Returns (opened, closed)."""
    cutoff = now - silent_after
    opened = conn.execute(
        """INSERT INTO data_gap (kind, equipment_id, circuit_no, silent_since, opened_at)
           SELECT 'circuit_silent', c.equipment_id, c.circuit_no, s.last_ts, %(now)s
           FROM circuit c JOIN equipment e ON e.id = c.equipment_id AND e.disposed_on IS NULL
           LEFT JOIN circuit_last_seen s ON (s.equipment_id, s.circuit_no) = (c.equipment_id, c.circuit_no)
           WHERE coalesce(s.last_ts, '-infinity') < %(cutoff)s
           ON CONFLICT DO NOTHING""",
        {"now": now, "cutoff": cutoff},
    ).rowcount
    opened += conn.execute(
        """INSERT INTO data_gap (kind, site_code, agent_id, silent_since, opened_at)
           SELECT 'agent_offline', site_code, agent_id, coalesce(reported_at, received_at), %(now)s
           FROM agent_status WHERE state = 'offline' ON CONFLICT DO NOTHING""",
        {"now": now},
    ).rowcount
    closed = conn.execute(
        """UPDATE data_gap g SET closed_at = %(now)s WHERE closed_at IS NULL AND (
             (kind = 'circuit_silent' AND EXISTS (SELECT 1 FROM circuit_last_seen s
                 WHERE s.equipment_id = g.equipment_id AND s.circuit_no = g.circuit_no AND s.last_ts >= %(cutoff)s))
             OR (kind = 'agent_offline' AND EXISTS (SELECT 1 FROM agent_status a WHERE a.site_code = g.site_code
                 AND a.agent_id = g.agent_id AND a.state = 'online')))""",
        {"now": now, "cutoff": cutoff},
    ).rowcount
    return opened, closed


def open_gaps(conn: psycopg.Connection) -> list[tuple[str, int | None, int | None, str | None]]:
    return [
        (str(kind), eid, circuit, agent)
        for kind, eid, circuit, agent in conn.execute(
            "SELECT kind, equipment_id, circuit_no, agent_id FROM data_gap WHERE closed_at IS NULL ORDER BY id"
        ).fetchall()
    ]
