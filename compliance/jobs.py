"""The compliance jobs of `fluorowatch worker`: keep every unit's logbook up to date with what its tickets,
leak cases and certificates already say (the ticket is the source, the logbook the legal record, REGULATION.md
(e)). Feeding is idempotent, so the job can run as often as it likes.
"""

from __future__ import annotations

import logging
from datetime import datetime

import psycopg

from compliance.logbook_service import feed_from_records

log = logging.getLogger(__name__)


def feed_logbooks(conn: psycopg.Connection, now: datetime) -> int:
    """Feed the logbook of every unit that has tickets, leak cases or certificates; returns the entries written."""
    units = conn.execute(
        """SELECT equipment_id FROM ticket UNION SELECT equipment_id FROM leak_case
           UNION SELECT equipment_id FROM refrigerant_movement ORDER BY 1"""
    ).fetchall()
    written = sum(len(feed_from_records(conn, int(unit), now)) for (unit,) in units)
    if written:
        log.info("logbooks: %d entries written from tickets, leak cases and certificates", written)
    return written
