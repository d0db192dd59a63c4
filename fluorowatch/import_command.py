"""`fluorowatch import sites|equipment|certificates FILE`: take over what a manager already has (docs/imports.md).

All or nothing: a file with any bad row writes nothing and every error is printed as ``FILE:LINE: field: message``
on stderr (exit 2). Import the sites first, then the equipment, then the certificates.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from compliance.import_service import ImportRejected, What, import_file
from fluorowatch.runtime import LOCAL_DATABASE_URL
from storage.db import wait_for_database

if TYPE_CHECKING:
    from fluorowatch.settings import Settings


def add_import_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("import", help="import sites, equipment, certificates (CSV/XLSX): all or nothing")
    command.add_argument("what", choices=[w.value for w in What], help="what the file holds (import in this order)")
    command.add_argument("file", type=Path, metavar="FILE", help="a .csv (UTF-8) or .xlsx file with the header row")
    command.set_defaults(handler=run_import)


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    data = args.file.read_bytes()
    today = datetime.now(settings.timezone).date()
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    with psycopg.connect(url) as conn:
        try:
            result = import_file(conn, args.what, args.file.name, data, today)
        except ImportRejected as rejected:
            conn.rollback()
            for error in rejected.errors:
                print(f"{args.file}:{error}", file=sys.stderr)
            print(f"{args.file}: {len(rejected.errors)} error(s); nothing was imported", file=sys.stderr)
            return 2
        conn.commit()
    print(f"{args.file}: {result.describe()}")
    return 0
