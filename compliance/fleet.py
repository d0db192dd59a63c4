"""The units of the visible sites with their status and inspection schedule, as the API (api/routers/equipment.py,
sites.py, inspections.py) and the dashboard (api/dashboard) show them: storage.equipment_queries.units read once,
each judged by compliance.unit_status.assess on ``today`` with the deployment's lead time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from compliance.schedule import DueItem, due_in_period
from compliance.unit_status import Assessment, assess
from storage import equipment_queries


@dataclass(frozen=True)
class AssessedUnit:
    row: Mapping[str, Any]  # storage.equipment_queries.units
    assessment: Assessment


def assessed_units(
    conn: psycopg.Connection, site_ids: Sequence[int], today: date, lead_days: int, *, site_id: int | None = None,
    equipment_id: int | None = None,
) -> list[AssessedUnit]:  # fmt: skip
    """The units of the visible sites (of one site, or one unit), by site code and management number."""
    rows = equipment_queries.units(conn, site_ids, site_id=site_id, equipment_id=equipment_id)
    return [AssessedUnit(row, assess(row, today, lead_days)) for row in rows]


def due_between(units: Iterable[AssessedUnit], start: date, end: date) -> list[tuple[Mapping[str, Any], DueItem]]:
    """The inspections of ``units`` due from ``start`` through ``end`` (compliance.schedule.due_in_period), each
    with its unit's row: by due date, then site code, management number and kind."""
    found = [(u.row, item) for u in units for item in due_in_period([u.assessment.schedule], start, end)]
    return sorted(found, key=lambda f: (f[1].due_on, f[0]["site_code"], f[1].management_no, f[1].kind.value))
