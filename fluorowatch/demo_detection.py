"""The demo's detectors: learn every circuit on the first two weeks of the simulated history (believed
healthy, as at commissioning), then judge the hours since, as the streaming pass does after ingest."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from alerts.data_gaps import sync_data_gaps
from alerts.service import sync_detector_events
from detectors.baseline import InsufficientBaseline
from detectors.service import detect_new_hours, learn_circuit
from storage.detector_queries import model_versions

LEARN_DAYS = 14


def learn_and_detect(database_url: str, history_start: datetime, now: datetime) -> list[str]:
    """Lines describing what was learned and which alerts the detectors raised."""
    until = history_start + timedelta(days=LEARN_DAYS)
    learned = skipped = 0
    with psycopg.connect(database_url) as conn:
        for equipment_id, circuit_no in _circuits(conn):
            if model_versions(conn, equipment_id, circuit_no):
                continue  # a re-run of the demo keeps the models it learned
            try:
                learn_circuit(conn, equipment_id, circuit_no, history_start, until, "commissioning")
                learned += 1
            except InsufficientBaseline:
                skipped += 1
            conn.commit()
        result = detect_new_hours(conn, now)
        conn.commit()
        raised = _raised(conn)
        sync_detector_events(conn)
        sync_data_gaps(conn, now)
        conn.commit()
        (open_alerts,) = conn.execute("SELECT count(*) FROM alert WHERE status <> 'resolved'").fetchone() or (0,)
    lines = [f"detectors: {learned} circuit baselines learned on days 1-{LEARN_DAYS}"
             + (f" ({skipped} without enough stable running)" if skipped else "")
             + f"; {result.hours} hours judged since"]  # fmt: skip
    lines += [f"  {category} on {management_no}: {message}" for management_no, category, message in raised]
    lines.append(f"alerts: {open_alerts} open, queued for the managers' channels (docs/alerts.md)")
    return lines


def _circuits(conn: psycopg.Connection) -> list[tuple[int, int]]:
    rows = conn.execute("SELECT equipment_id, circuit_no FROM circuit ORDER BY 1, 2").fetchall()
    return [(int(e), int(c)) for e, c in rows]


def _raised(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        """SELECT DISTINCT ON (e.management_no, d.category) e.management_no, d.category, d.message
           FROM detector_event d JOIN equipment e ON e.id = d.equipment_id
           WHERE d.status = 'raised' ORDER BY e.management_no, d.category, d.ts"""
    ).fetchall()
    return [(str(no), str(category), str(message)) for no, category, message in rows]
