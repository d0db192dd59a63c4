"""Inspection reminders (compliance.inspection_jobs, the worker's ``inspection-reminders`` job): once per unit,
due date and stage, as alerts with their notifications; the clock is injected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg

from compliance.inspection_jobs import remind_inspections
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from fluorowatch.worker import WorkerJobs
from storage.registry import save_equipment, save_site

TOKYO = ZoneInfo("Asia/Tokyo")
INSTALLED = date(2026, 1, 10)  # simple inspection due by 2026-04-30 (end of month + 3)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(8, 10), TOKYO)


def _alerts(conn: psycopg.Connection, unit: int) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT category, status FROM alert WHERE equipment_id = %s ORDER BY id", (unit,)).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def test_worker_inspection_reminders_go_once_per_unit_due_date_and_stage(
    new_migrated_database: Callable[[str], str],
) -> None:
    url = new_migrated_database("inspection_reminders")
    with psycopg.connect(url) as conn:
        site = save_site(conn, Site("S-INS", "Inspection store", "13", "Tokyo", OrgPath.parse("Inspect Co")))
        circuit = RefrigerantCircuit(1, (Compressor(Decimal("3.7")),))
        unit = save_equipment(conn, site, Equipment("SC-INS", EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal("12"),
                                                    (circuit,), installed_on=INSTALLED))  # fmt: skip
        conn.commit()
        assert remind_inspections(conn, date(2026, 3, 20), _at(date(2026, 3, 20))) == 0  # 41 days ahead: not yet
        assert remind_inspections(conn, date(2026, 4, 1), _at(date(2026, 4, 1))) == 1  # due soon
        assert remind_inspections(conn, date(2026, 4, 1), _at(date(2026, 4, 1))) == 0
        assert remind_inspections(conn, date(2026, 4, 2), _at(date(2026, 4, 2))) == 0
        assert _alerts(conn, unit) == [("inspection_due", "raised")]
        assert remind_inspections(conn, date(2026, 5, 1), _at(date(2026, 5, 1))) == 1  # overdue
        assert remind_inspections(conn, date(2026, 5, 9), _at(date(2026, 5, 9))) == 0
        assert _alerts(conn, unit) == [("inspection_due", "resolved"), ("inspection_overdue", "raised")]
        rows = conn.execute(
            "SELECT kind, due_on, stage FROM inspection_reminder WHERE equipment_id = %s ORDER BY sent_at", (unit,)
        ).fetchall()
        assert rows == [("simple", date(2026, 4, 30), "due_soon"), ("simple", date(2026, 4, 30), "overdue")]
        queued = conn.execute(
            "SELECT count(*) FROM alert_outbox o JOIN alert a ON a.id = o.alert_id WHERE a.equipment_id = %s", (unit,)
        ).fetchone()
        assert queued is not None and queued[0] >= 3  # raised, raised, resolved: each reaches the channels
        conn.rollback()  # as before the reminders: now the worker's job sends them

    jobs = WorkerJobs(url, TOKYO, clock=lambda: _at(date(2026, 4, 1)))
    assert jobs.run("inspection-reminders") == "ok"
    assert jobs.run("inspection-reminders") == "skipped_done"  # once a day, whichever worker
    with psycopg.connect(url) as conn:
        assert _alerts(conn, unit) == [("inspection_due", "raised")]
