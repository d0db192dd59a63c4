"""Versioned schema migrations: numbered SQL files in storage/migrations, applied in order, once each.

A small runner rather than Alembic: fluorowatch writes SQL directly through psycopg (no ORM for Alembic to
drive), and the one conditional step, the TimescaleDB layout, is decided at start-up in storage/timescale.py.
Each file runs in its own transaction under an advisory lock, so two processes starting together apply it
once; a file changed after it was applied is refused (its checksum no longer matches).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib.resources import files

import psycopg

log = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x666C756F72  # "fluor": one advisory lock for the whole schema


class MigrationError(Exception):
    """The migrations on disk and in the database disagree."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover_migrations() -> list[Migration]:
    """The migrations shipped in the package, in version order; gaps and duplicates are refused."""
    found = []
    for entry in files("storage").joinpath("migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must run 1..n without gaps: {[m.version for m in found]}")
    return found


def migrate(conn: psycopg.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply the pending migrations; return those applied (empty when the schema is current)."""
    migrations = discover_migrations() if migrations is None else migrations
    conn.autocommit = True
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration (version integer PRIMARY KEY, name text NOT NULL,"
            " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
    applied = []
    for migration in migrations:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            if _already_applied(conn, migration):
                continue
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO schema_migration (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration)
    return applied


def _already_applied(conn: psycopg.Connection, migration: Migration) -> bool:
    row = conn.execute("SELECT checksum FROM schema_migration WHERE version = %s", (migration.version,)).fetchone()
    if row is None:
        return False
    if row[0] != migration.checksum:
        raise MigrationError(
            f"migration {migration.version:04d}_{migration.name} was changed after it was applied;"
            " add a new migration instead"
        )
    return True
