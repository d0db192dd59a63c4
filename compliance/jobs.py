"""The compliance jobs of `fluorowatch worker`: keep every unit's logbook up to date with what its tickets,
leak cases and certificates already say (the ticket is the source, the logbook the legal record, REGULATION.md
(e)). Feeding is idempotent, so the job can run as often as it likes.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import psycopg

from compliance.coverage import Period
from compliance.logbook import InspectionMethod, Kind, Source, validate
from compliance.logbook_service import feed_from_records
from storage.coverage_queries import unit_substitution_periods
from storage.logbook_queries import insert_entry

log = logging.getLogger(__name__)
# Diagnoses are kept at least a year (REGULATION.md (p) ハ); a period is looked for within that much history.
MONITORING_LOOKBACK = timedelta(days=400)


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


def record_monitoring_periods(conn: psycopg.Connection, since: date, today: date, now: datetime) -> int:
    """Write each ended period of continuous monitoring into the unit's logbook once: the logbook records the
    period in which the simple inspection was replaced (REGULATION.md (p), (e1) item 4). A period still running
    (its last day is yesterday) is written when it ends. Returns the periods written."""
    units = conn.execute("SELECT DISTINCT equipment_id FROM detector_model ORDER BY 1").fetchall()
    written = 0
    for (unit,) in units:
        for period in unit_substitution_periods(conn, int(unit), since, today - timedelta(days=1)):
            if period[1] < today - timedelta(days=1):
                written += _record_period(conn, int(unit), period, now)
    return written


def _record_period(conn: psycopg.Connection, unit: int, period: Period, now: datetime) -> int:
    row = conn.execute(
        "INSERT INTO monitoring_period (equipment_id, started_on, ended_on, recorded_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING id",
        (unit, period[0], period[1], now),
    ).fetchone()
    if row is None:
        return 0
    start, end = period
    details = validate(Kind.INSPECTION, {
        "inspector": "fluorowatch", "method": InspectionMethod.CONTINUOUS_MONITORING.value,
        "content": f"continuous monitoring in place of the simple inspection, {start} .. {end} "
                   f"({(end - start).days + 1} days, every circuit measured and diagnosed daily)",
        "result": "period ended: the simple inspection counts again from its last day",
    })  # fmt: skip
    insert_entry(
        conn,
        {"equipment_id": unit, "circuit_no": None, "kind": Kind.INSPECTION.value, "occurred_on": start,
         "recorded_at": now, "recorded_by": "fluorowatch", "details": details, "source": Source.DIAGNOSIS.value,
         "source_id": int(row[0]), "corrects_id": None},
    )  # fmt: skip
    return 1
