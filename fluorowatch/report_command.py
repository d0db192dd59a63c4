"""`fluorowatch report`: the calculated-leakage report of a fiscal year (REGULATION.md (g)) as JSON, the form-1
tables as CSV, form 1 as PDF, or a workbook, with form 2 (the optional related information, (g5)) on request in the
JSON and the PDF; and Kyoto's HFC report ((m)) as JSON, CSV or PDF. The clock is read
here only (the date a PDF says it was printed)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from compliance.reports.files import FORM2_FORMATS, ReportFile, kyoto_file, leakage_file
from compliance.ticket_service import local_date
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
    leakage.add_argument("--with-form2", action="store_true",
                         help="add form 2 (様式第2, optional related information): pdf pages after form 1, "
                              "json key form2")  # fmt: skip
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
    if args.with_form2 and args.format not in FORM2_FORMATS:
        raise ValueError(f"--with-form2 goes with --format {' or '.join(FORM2_FORMATS)}, not {args.format}")
    with _connect(settings) as conn:
        file = leakage_file(conn, args.fiscal_year, args.company, args.format, _today(), with_form2=args.with_form2)
    return _write(args, file)


def run_report_kyoto(settings: Settings, args: argparse.Namespace) -> int:
    _check_out(args)
    with _connect(settings) as conn:
        file = kyoto_file(conn, args.fiscal_year, args.company, args.format, _today())
    return _write(args, file)


def _check_out(args: argparse.Namespace) -> None:
    if args.out is None and args.format not in TEXT_FORMATS:
        raise ValueError(f"--format {args.format} needs --out FILE")


def _write(args: argparse.Namespace, file: ReportFile) -> int:
    if args.out is None:
        sys.stdout.write(file.content.decode("utf-8"))
        return 0
    args.out.write_bytes(file.content)
    print(f"{args.format} written to {args.out}", file=sys.stderr)
    return 0


def _today() -> date:
    return local_date(datetime.now(UTC))


def _connect(settings: Settings) -> psycopg.Connection:
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    return psycopg.connect(url)
