"""Queries of the ingest path: the unit directory, dead letters and agent status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg

from ingest.validation import RegisteredUnit, UnitDirectory


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    payload: bytes
    reason: str
    detail: str
    reading_index: int | None = None


def load_unit_directory(conn: psycopg.Connection) -> UnitDirectory:
    """Every registered unit by (site code, management number), with its circuit numbers."""
    rows = conn.execute(
        """SELECT s.site_code, e.management_no, e.id, array_agg(c.circuit_no)
           FROM equipment e JOIN site s ON s.id = e.site_id JOIN circuit c ON c.equipment_id = e.id
           GROUP BY s.site_code, e.management_no, e.id"""
    ).fetchall()
    return {(site, no): RegisteredUnit(int(eid), frozenset(circuits)) for site, no, eid, circuits in rows}


def insert_dead_letters(conn: psycopg.Connection, letters: Iterable[DeadLetter]) -> int:
    rows = [(d.topic, d.payload, d.reason, d.detail, d.reading_index) for d in letters]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO dead_letter (topic, payload, reason, detail, reading_index) VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
    return len(rows)


def record_agent_status(
    conn: psycopg.Connection,
    site: str,
    agent: str,
    state: str,
    reported_at: datetime | None,
    queue_depth: int | None,
    dropped: int | None,
) -> None:
    conn.execute(
        """INSERT INTO agent_status (site_code, agent_id, state, reported_at, queue_depth, dropped_readings)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (site_code, agent_id) DO UPDATE SET state = EXCLUDED.state,
               reported_at = EXCLUDED.reported_at, received_at = now(), queue_depth = EXCLUDED.queue_depth,
               dropped_readings = EXCLUDED.dropped_readings""",
        (site, agent, state, reported_at, queue_depth, dropped),
    )
