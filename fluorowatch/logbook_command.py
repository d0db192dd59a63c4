"""`fluorowatch logbook`: show a unit's logbook (点検整備記録簿, REGULATION.md (e)), append an entry, correct one,
export it, and take over the logbook of a unit bought from another company ((e): it is handed over on sale).

There is no command to edit or delete an entry: the logbook is kept until 3 years after the unit's disposal, and
a correction is a new entry naming the one it corrects (REGULATION.md (e)). The clock is read here only.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import psycopg

from compliance import logbook_service
from compliance.logbook import KIND_LABELS, Entry, Kind, render
from compliance.logbook_files import Format, logbook_file
from compliance.ticket_service import NotFound, local_date
from fluorowatch.runtime import LOCAL_DATABASE_URL
from storage.db import wait_for_database
from storage.unit_queries import units_by_management_no

if TYPE_CHECKING:
    from fluorowatch.settings import Settings


def add_logbook_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    logbook = commands.add_parser("logbook", help="a unit's logbook (点検整備記録簿): show, add, correct, export")
    sub = logbook.add_subparsers(title="logbook commands", required=True, metavar="COMMAND")

    show = _with_unit(sub.add_parser("show", help="print the unit's entries, corrected ones marked"))
    show.set_defaults(handler=run_logbook_show)

    add = _with_unit(sub.add_parser("add", help="append an entry and print its id"))
    add.add_argument("--kind", required=True, choices=[k.value for k in Kind], help="the record item of (e1)")
    add.add_argument("--on", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD", help="date of the work")
    add.add_argument("--by", required=True, metavar="NAME", help="who records it")
    add.add_argument("--circuit", type=int, metavar="N", help="the circuit (default: the whole unit)")
    _details(add)
    add.set_defaults(handler=run_logbook_add)

    correct = sub.add_parser("correct", help="correct an entry with a new one; the original stays")
    correct.add_argument("--entry", type=int, required=True, metavar="ID", help="the entry to correct")
    correct.add_argument("--by", required=True, metavar="NAME", help="who corrects it")
    correct.add_argument("--reason", required=True, help="why it is corrected")
    correct.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="default: the entry's date")
    _details(correct, "the full corrected details")
    correct.set_defaults(handler=run_logbook_correct)

    export = _with_unit(sub.add_parser("export", help="write the logbook as a file"))
    export.add_argument("--format", required=True, choices=get_args(Format))
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.set_defaults(handler=run_logbook_export)

    take_over = _with_unit(sub.add_parser("import", help="take over a logbook exported as JSON (unit bought)"))
    take_over.add_argument("file", type=Path, metavar="FILE.json")
    take_over.set_defaults(handler=run_logbook_import)


def _with_unit(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--unit", required=True, metavar="MGMT_NO", help="the unit's management number")
    parser.add_argument("--site", metavar="SITE_CODE", help="the unit's site, when the number is used at several")
    return parser


def _details(parser: argparse.ArgumentParser, help_text: str = "the fields the item requires") -> None:
    parser.add_argument("--details", type=_json_object, required=True, metavar="JSON",
                        help=f'{help_text}, a JSON object, e.g. \'{{"name": "山田 花子"}}\'')  # fmt: skip


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object of field: value")
    return value


def run_logbook_show(settings: Settings, args: argparse.Namespace) -> int:
    with _connect(settings) as conn:
        found = logbook_service.entries(conn, _unit(conn, args.unit, args.site))
    for entry in found:
        print(_line(entry))
    if not found:
        print(f"{args.unit}: no entries")
    return 0


def _line(e: Entry) -> str:
    circuit = "" if e.circuit_no is None else f" circuit {e.circuit_no}"
    text = " / ".join(f"{label}: {value}" for label, value in render(e) if value)
    marker = f"  [訂正済み → {e.superseded_by}]" if e.superseded else ""
    return f"{e.id:>6}  {e.occurred_on}  ({e.kind.item}) {KIND_LABELS[e.kind]}{circuit}  {text}{marker}"


def run_logbook_add(settings: Settings, args: argparse.Namespace) -> int:
    with _connect(settings) as conn:
        equipment_id = _unit(conn, args.unit, args.site)
        try:
            entry_id = logbook_service.record_manual(conn, equipment_id, args.kind, args.on, args.details, args.by,
                                                     datetime.now(UTC), args.circuit)  # fmt: skip
        except psycopg.errors.ForeignKeyViolation:
            raise ValueError(f"--circuit {args.circuit}: {args.unit} has no such circuit") from None
        conn.commit()
    print(entry_id)
    return 0


def run_logbook_correct(settings: Settings, args: argparse.Namespace) -> int:
    with _connect(settings) as conn:
        try:
            entry_id = logbook_service.correct(conn, args.entry, args.details, args.by, args.reason,
                                               datetime.now(UTC), occurred_on=args.on)  # fmt: skip
        except NotFound as exc:
            raise ValueError(f"--entry {args.entry}: {exc}") from None
        conn.commit()
    print(entry_id)
    return 0


def run_logbook_export(settings: Settings, args: argparse.Namespace) -> int:
    with _connect(settings) as conn:
        equipment_id = _unit(conn, args.unit, args.site)
        content = logbook_file(conn, equipment_id, args.format, local_date(datetime.now(UTC)))
    args.out.write_bytes(content)
    print(f"{args.unit}: logbook written to {args.out} ({args.format})")
    return 0


def run_logbook_import(settings: Settings, args: argparse.Namespace) -> int:
    document = args.file.read_text(encoding="utf-8")
    with _connect(settings) as conn:
        written = logbook_service.import_json(conn, _unit(conn, args.unit, args.site), document)
        conn.commit()
    print(f"{args.unit}: {len(written)} entries taken over from {args.file}")
    return 0


def _unit(conn: psycopg.Connection, management_no: str, site_code: str | None) -> int:
    """The unit's id; a management number is unique per site only, so an ambiguous one needs --site."""
    found = units_by_management_no(conn, management_no, site_code)
    if not found:
        where = f" at site {site_code}" if site_code else ""
        raise ValueError(f"--unit {management_no}: no such unit{where}")
    if len(found) > 1:
        sites = ", ".join(code for _, code in found)
        raise ValueError(f"--unit {management_no}: units at sites {sites} have this number; give --site")
    return found[0][0]


def _connect(settings: Settings) -> psycopg.Connection:
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    return psycopg.connect(url)
