"""Importing a manager's files, all or nothing: every row is validated against what is stored before anything
is written, and a file with any bad row raises `ImportRejected` with every error, having written nothing.

Sites and units already stored are updated by their key (site_code; site and management_no), so importing the
same file twice changes nothing the second time; a certificate already stored for the same contractor is an
error, because a certificate counts once in the calculated leakage (REGULATION.md (g1)). The caller commits.
Imported certificates reach the units' logbooks through `compliance.logbook_service.feed_from_records` (the
worker's logbook job), like recorded ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import psycopg

from compliance.imports import (
    CertificateRecord,
    ImportRejected,
    Lookup,
    Record,
    RowError,
    SiteRecord,
    UnitRecord,
    What,
    parse_file,
)
from storage import import_queries as q

__all__ = ["ImportRejected", "ImportResult", "Parsed", "RowError", "What", "import_file", "validate_file", "write"]


@dataclass(frozen=True)
class Parsed:
    """A file that passed validation, with the lookup it was checked against."""

    what: What
    records: Sequence[Record]
    lookup: Lookup

    @property
    def companies(self) -> frozenset[str]:
        """The companies the file touches (a sites file may name a company not stored yet)."""
        return frozenset(record.company for record in self.records)


@dataclass(frozen=True)
class ImportResult:
    """Rows read, and rows created and updated per table."""

    what: What
    rows: int
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        def counts(by_table: dict[str, int]) -> str:
            return ", ".join(f"{table} {n}" for table, n in by_table.items() if n) or "nothing"

        return f"{self.what.value}: {self.rows} row(s); created {counts(self.created)}; updated {counts(self.updated)}"


def import_file(conn: psycopg.Connection, what: What | str, filename: str, data: bytes, today: date) -> ImportResult:
    """Validate the whole file, then write it in the caller's transaction; raises `ImportRejected`."""
    return write(conn, validate_file(conn, what, filename, data, today))


def validate_file(conn: psycopg.Connection, what: What | str, filename: str, data: bytes, today: date) -> Parsed:
    """The file's records checked against what is stored; nothing is written. ``today`` bounds the dates."""
    what = What(what)
    lookup = q.load_lookup(conn)
    return Parsed(what, parse_file(what, filename, data, lookup, today), lookup)


def write(conn: psycopg.Connection, parsed: Parsed) -> ImportResult:
    records = parsed.records
    if parsed.what is What.SITES:
        created, updated = q.write_sites(conn, [r for r in records if isinstance(r, SiteRecord)])
    elif parsed.what is What.EQUIPMENT:
        created, updated = q.write_units(conn, [r for r in records if isinstance(r, UnitRecord)])
    else:
        created, updated = q.write_certificates(conn, [r for r in records if isinstance(r, CertificateRecord)])
    return ImportResult(parsed.what, len(parsed.records), created, updated)
