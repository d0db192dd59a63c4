"""A unit's logbook as a file in each format it is handed out in (REGULATION.md (e)): CSV and XLSX for Excel,
JSON for the company that buys the unit, PDF to print. Shared by the API and the command."""

from __future__ import annotations

from datetime import date
from typing import Literal

import psycopg

from compliance import exports
from compliance.logbook_service import export_csv, export_json

Format = Literal["csv", "xlsx", "json", "pdf"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
}


def logbook_file(conn: psycopg.Connection, equipment_id: int, fmt: Format, printed_on: date) -> bytes:
    """The logbook in ``fmt``; ``printed_on`` is the date the PDF says it was printed (local date)."""
    if fmt == "csv":
        return export_csv(conn, equipment_id).encode("utf-8")
    if fmt == "xlsx":
        return exports.logbook_xlsx(conn, equipment_id)
    if fmt == "json":
        return export_json(conn, equipment_id).encode("utf-8")
    return exports.logbook_pdf(conn, equipment_id, printed_on)


def file_name(management_no: str, fmt: Format) -> str:
    return f"logbook-{management_no}.{fmt}"
