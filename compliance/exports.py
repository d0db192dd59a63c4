"""What managers print or open in Excel: a unit's logbook as PDF (A4, the layout of REGULATION.md (e2)) and XLSX,
and the list of inspections due in a period (as RaMS offers). The XLSX carry the same rows as the CSV exports,
one sheet, Japanese headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import psycopg

from compliance.logbook import totals
from compliance.logbook_pdf import LogbookSheet
from compliance.logbook_pdf import logbook_pdf as render_logbook_pdf
from compliance.logbook_service import CSV_HEADER, entries, export_rows
from compliance.schedule import DueItem, DueStatus
from compliance.spreadsheet import workbook
from compliance.ticket_service import NotFound
from fluorowatch.domain.equipment import EQUIPMENT_KIND_LABELS, EquipmentKind
from fluorowatch.domain.refrigerants import RefrigerantRegistry, normalise_refrigerant_name
from storage.logbook_queries import sheet_header

DUE_HEADER = ("管理番号", "点検の種類", "期限", "状態", "再稼働前に実施")
KIND_LABELS = {"simple": "簡易点検", "periodic": "定期点検"}
STATUS_LABELS = {DueStatus.NOT_DUE: "期限前", DueStatus.DUE_SOON: "期限間近", DueStatus.OVERDUE: "期限超過"}


def xlsx(header: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> bytes:
    return workbook({title: (header, rows)})


def logbook_xlsx(conn: psycopg.Connection, equipment_id: int) -> bytes:
    return xlsx(CSV_HEADER, export_rows(conn, equipment_id), "点検整備記録簿")


def logbook_pdf(conn: psycopg.Connection, equipment_id: int, printed_on: date) -> bytes:
    """The unit's logbook as a PDF to print, hand over or show a servicer (REGULATION.md (e))."""
    header = sheet_header(conn, equipment_id)
    if header is None:
        raise NotFound(f"no unit {equipment_id}")
    registry = RefrigerantRegistry.default()
    refrigerant = normalise_refrigerant_name(header["refrigerant"])
    sheet = LogbookSheet(
        management_no=header["management_no"], manager=header["manager"], site_name=header["site_name"],
        site_address=header["site_address"], equipment_kind=EQUIPMENT_KIND_LABELS[EquipmentKind(header["kind"])],
        manufacturer=header["manufacturer"], model=header["model"], serial_no=header["serial_no"],
        installed_on=header["installed_on"], disposed_on=header["disposed_on"], refrigerant=refrigerant,
        gwp=registry.gwp(refrigerant), charge_kg=Decimal(header["charge_kg"]), circuits=tuple(header["circuits"]),
    )  # fmt: skip
    logbook = entries(conn, equipment_id)
    return render_logbook_pdf(sheet, logbook, totals(logbook, registry), printed_on)


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
