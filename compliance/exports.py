"""Spreadsheets managers open in Excel: a unit's logbook and the list of inspections due in a period (as RaMS
offers). The same rows as the CSV exports, one sheet, Japanese headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import psycopg
from openpyxl import Workbook

from compliance.logbook_service import CSV_HEADER, export_rows
from compliance.schedule import DueItem, DueStatus

DUE_HEADER = ("管理番号", "点検の種類", "期限", "状態", "再稼働前に実施")
KIND_LABELS = {"simple": "簡易点検", "periodic": "定期点検"}
STATUS_LABELS = {DueStatus.NOT_DUE: "期限前", DueStatus.DUE_SOON: "期限間近", DueStatus.OVERDUE: "期限超過"}


def xlsx(header: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def logbook_xlsx(conn: psycopg.Connection, equipment_id: int) -> bytes:
    return xlsx(CSV_HEADER, export_rows(conn, equipment_id), "点検整備記録簿")


def due_rows(items: Sequence[DueItem]) -> list[list[object]]:
    return [[i.management_no, KIND_LABELS[i.kind.value], i.due_on.isoformat(), STATUS_LABELS[i.status],
             "要" if i.due_before_restart else ""] for i in items]  # fmt: skip


def due_list_csv(items: Sequence[DueItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DUE_HEADER)
    writer.writerows(due_rows(items))
    return "\ufeff" + out.getvalue()


def due_list_xlsx(items: Sequence[DueItem]) -> bytes:
    return xlsx(DUE_HEADER, due_rows(items), "点検予定")
