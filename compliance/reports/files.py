"""Each report as the file it is handed out as: its bytes, media type and file name. Shared by `fluorowatch
report` and the API (/api/v1/reports), so both hand out the same content for the same data. The clock is never
read here: ``printed_on`` is the date a PDF says it was printed (the caller's local date)."""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

import psycopg

from compliance.form2_service import form2_data
from compliance.leakage_service import kyoto, leakage_data
from compliance.reports.form1 import form1
from compliance.reports.form1_csv import form1_csv
from compliance.reports.form1_pdf import form1_pdf
from compliance.reports.form2_json import leakage_json_with_form2
from compliance.reports.form2_pdf import form1_with_form2_pdf
from compliance.reports.kyoto import kyoto_csv, kyoto_json
from compliance.reports.kyoto_pdf import kyoto_pdf
from compliance.reports.leakage_json import leakage_json
from compliance.reports.leakage_xlsx import leakage_xlsx
from fluorowatch.domain.refrigerants import RefrigerantRegistry

LeakageFormat = Literal["json", "csv", "pdf", "xlsx"]
KyotoFormat = Literal["json", "csv", "pdf"]
LEAKAGE_FORMATS: tuple[LeakageFormat, ...] = ("json", "csv", "pdf", "xlsx")
KYOTO_FORMATS: tuple[KyotoFormat, ...] = ("json", "csv", "pdf")
FORM2_FORMATS: tuple[LeakageFormat, ...] = ("json", "pdf")  # form 2 goes in the JSON and after form 1 in the PDF
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportFile(NamedTuple):
    content: bytes
    media_type: str
    filename: str


def leakage_file(
    conn: psycopg.Connection, fiscal_year: int, company: str | None, fmt: LeakageFormat, printed_on: date,
    registry: RefrigerantRegistry | None = None, *, with_form2: bool = False,
) -> ReportFile:  # fmt: skip
    """The fiscal year's calculated leakage (REGULATION.md (g)): exact JSON, the form-1 tables as CSV, form 1 as
    PDF, or the workbook; ``with_form2`` adds form 2 ((g5), optional) to the JSON or the PDF. ``company`` as
    `compliance.leakage_service.company_name` takes it (ValueError)."""
    if with_form2 and fmt not in FORM2_FORMATS:
        raise ValueError(f"form 2 goes with the {' or '.join(FORM2_FORMATS)} format, not {fmt}")
    registry = registry or RefrigerantRegistry.default()
    data = leakage_data(conn, fiscal_year, company, registry)
    second = form2_data(conn, fiscal_year, data.report.company, registry) if with_form2 else None
    form = form1(data.report, data.sites)
    content: str | bytes
    if fmt == "json":
        content = leakage_json(data.report) if second is None else leakage_json_with_form2(data.report, second)
    elif fmt == "pdf":
        content = form1_pdf(form, printed_on) if second is None else form1_with_form2_pdf(form, second, printed_on)
    elif fmt == "csv":
        content = form1_csv(form)
    else:
        content = leakage_xlsx(data.report, form, data.counted, data.sites)
    return _file(content, fmt, f"leakage-{data.report.company}-FY{fiscal_year}")


def kyoto_file(
    conn: psycopg.Connection, fiscal_year: int, company: str | None, fmt: KyotoFormat, printed_on: date,
    registry: RefrigerantRegistry | None = None,
) -> ReportFile:  # fmt: skip
    """Kyoto's HFC report of the fiscal year (REGULATION.md (m)) as JSON, CSV or PDF."""
    report = kyoto(conn, fiscal_year, company, registry or RefrigerantRegistry.default())
    if fmt == "json":
        content: str | bytes = kyoto_json(report)
    elif fmt == "csv":
        content = kyoto_csv(report)
    else:
        content = kyoto_pdf(report, printed_on)
    return _file(content, fmt, f"kyoto-{report.company}-FY{fiscal_year}")


def _file(content: str | bytes, fmt: str, stem: str) -> ReportFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return ReportFile(data, MEDIA_TYPES[fmt], f"{stem}.{fmt}")
