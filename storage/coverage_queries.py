"""Reading continuous-monitoring coverage from the stored daily diagnosis (migration 0008; REGULATION.md (p)).

Read only: the rows are written by the daily diagnosis (storage.diagnosis_queries). The rules that turn them into
covered days and substitution periods live in :mod:`compliance.coverage`.
"""

from __future__ import annotations

from datetime import date

import psycopg

from compliance.coverage import DiagnosisDay, Period, days_covered, substitution_periods


def diagnosis_days(conn: psycopg.Connection, equipment_id: int, start: date, end: date) -> list[DiagnosisDay]:
    """The diagnosis rows of a unit for start <= day <= end, by day and circuit."""
    rows = conn.execute(
        """SELECT circuit_no, day, status, hours_measured FROM diagnosis
           WHERE equipment_id = %s AND day BETWEEN %s AND %s ORDER BY day, circuit_no""",
        (equipment_id, start, end),
    ).fetchall()
    return [DiagnosisDay(int(c), d, str(s), int(h)) for c, d, s, h in rows]


def unit_circuits(conn: psycopg.Connection, equipment_id: int) -> list[int]:
    """The registered circuit numbers of a unit."""
    rows = conn.execute(
        "SELECT circuit_no FROM circuit WHERE equipment_id = %s ORDER BY circuit_no", (equipment_id,)
    ).fetchall()
    return [int(r[0]) for r in rows]


def unit_days_covered(conn: psycopg.Connection, equipment_id: int, start: date, end: date) -> dict[date, bool]:
    """Per day of start..end, whether every circuit of the unit was covered by continuous monitoring."""
    rows = diagnosis_days(conn, equipment_id, start, end)
    return days_covered(rows, unit_circuits(conn, equipment_id), start, end)


def unit_substitution_periods(conn: psycopg.Connection, equipment_id: int, start: date, end: date) -> list[Period]:
    """The periods within start..end in which continuous monitoring replaced the unit's simple inspection."""
    return substitution_periods(unit_days_covered(conn, equipment_id, start, end))
