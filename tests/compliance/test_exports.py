"""The XLSX exports carry exactly what the CSV exports carry: a unit's logbook, and the inspections due in a
period (REGULATION.md (e), (b))."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import psycopg
from openpyxl import load_workbook

from compliance.exports import DUE_HEADER, due_list_csv, due_list_xlsx, logbook_xlsx
from compliance.logbook import Kind
from compliance.logbook_service import CSV_HEADER, export_csv, record_manual
from compliance.schedule import DueItem, DueStatus
from fluorowatch.domain.inspection_rules import InspectionKind
from tests.alerts.conftest import build_world


def _sheet(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_logbook_xlsx_has_the_csv_header_and_rows(conn: psycopg.Connection) -> None:
    unit = build_world(conn).unit
    details = {"inspector": "店長 山田", "method": "simple", "content": "目視: 油にじみなし", "result": "異常なし"}
    record_manual(conn, unit, Kind.INSPECTION, date(2026, 4, 1), details, "山田", datetime(2026, 4, 1, tzinfo=UTC))
    rows = _sheet(logbook_xlsx(conn, unit))
    assert rows[0] == list(CSV_HEADER)
    assert [[str(v) for v in row] for row in rows[1:]] == _csv(export_csv(conn, unit))[1:]
    assert "目視: 油にじみなし" in str(rows[1])


def test_the_due_list_in_csv_and_xlsx() -> None:
    items = [
        DueItem("SC-01", InspectionKind.SIMPLE, date(2026, 6, 30), DueStatus.DUE_SOON, False),
        DueItem("CH-01", InspectionKind.PERIODIC, date(2026, 5, 31), DueStatus.OVERDUE, True),
    ]
    expected = [
        list(DUE_HEADER),
        ["SC-01", "簡易点検", "2026-06-30", "期限間近", ""],
        ["CH-01", "定期点検", "2026-05-31", "期限超過", "要"],
    ]
    assert _csv(due_list_csv(items)) == expected
    assert _sheet(due_list_xlsx(items)) == expected
