"""`fluorowatch report`: the calculated-leakage report of a fiscal year (REGULATION.md (g)) as JSON, the form-1
tables as CSV, form 1 as PDF, or a workbook; and Kyoto's HFC report ((m)) as JSON, CSV or PDF. The clock is read
here only (the date a PDF says it was printed)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from compliance.leakage_service import kyoto, leakage_data
from compliance.reports.form1 import form1
from compliance.reports.form1_csv import form1_csv
from compliance.reports.form1_pdf import form1_pdf
from compliance.reports.kyoto import kyoto_csv, kyoto_json
from compliance.reports.kyoto_pdf import kyoto_pdf
from compliance.reports.leakage_json import leakage_json
from compliance.reports.leakage_xlsx import leakage_xlsx
from compliance.ticket_service import local_date
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from fluorowatch.runtime import LOCAL_DATABASE_URL
from storage.db import wait_for_database

if TYPE_CHECKING:
    from fluorowatch.settings import Settings

TEXT_FORMATS = ("json", "csv")  # may go to stdout; pdf and xlsx need --out


def add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="calculated-leakage report (form 1) and Kyoto's HFC report")
    sub = report.add_subparsers(title="report commands", required=True, metavar="COMMAND")
    leakage = _common(sub.add_parser("leakage", help="a fiscal year's calculated leakage (算定漏えい量, form 1)"))
    leakage.add_argument("--format", required=True, choices=("json", "csv", "pdf", "xlsx"))
    leakage.set_defaults(handler=run_report_leakage)
    kyoto_report = _common(sub.add_parser("kyoto", help="Kyoto Prefecture's yearly HFC report (代替フロン報告書)"))
    kyoto_report.add_argument("--format", required=True, choices=("json", "csv", "pdf"))
    kyoto_report.set_defaults(handler=run_report_kyoto)


def _common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--fiscal-year", type=int, required=True, metavar="YEAR",
                        help="named by the year it starts in (2025 = April 2025 to March 2026)")  # fmt: skip
    parser.add_argument("--company", metavar="NAME", help="the company; needed when there are several")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here (json and csv default to stdout)")
    return parser


def run_report_leakage(settings: Settings, args: argparse.Namespace) -> int:
    _check_out(args)
    with _connect(settings) as conn:
        data = leakage_data(conn, args.fiscal_year, args.company, RefrigerantRegistry.default())
    form = form1(data.report, data.sites)
    if args.format == "json":
        return _write(args, leakage_json(data.report))
    if args.format == "csv":
        return _write(args, form1_csv(form))
    if args.format == "pdf":
        return _write(args, form1_pdf(form, _today()))
    return _write(args, leakage_xlsx(data.report, form, data.counted, data.sites))


def run_report_kyoto(settings: Settings, args: argparse.Namespace) -> int:
    _check_out(args)
    with _connect(settings) as conn:
        report = kyoto(conn, args.fiscal_year, args.company, RefrigerantRegistry.default())
    if args.format == "json":
        return _write(args, kyoto_json(report))
    if args.format == "csv":
        return _write(args, kyoto_csv(report))
    return _write(args, kyoto_pdf(report, _today()))


def _check_out(args: argparse.Namespace) -> None:
    if args.out is None and args.format not in TEXT_FORMATS:
        raise ValueError(f"--format {args.format} needs --out FILE")


def _write(args: argparse.Namespace, content: str | bytes) -> int:
    if args.out is None:
        assert isinstance(content, str)
        sys.stdout.write(content)
        return 0
    args.out.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    print(f"{args.format} written to {args.out}", file=sys.stderr)
    return 0


def _today() -> date:
    return local_date(datetime.now(UTC))


def _connect(settings: Settings) -> psycopg.Connection:
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    return psycopg.connect(url)
