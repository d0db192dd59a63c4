"""`fluorowatch agents mosquitto-files`: write Mosquitto's password and ACL files from the agents' credentials
(issued and revoked through the API, storage/agent_queries.py), plus the ingest service's user, which may read
every topic under ``<prefix>/v1/#``.

Each file is written beside its target and renamed over it, so the broker never reads half a file. Mosquitto
reads them at start and on SIGHUP: run this again after agents are issued or revoked, then reload the broker
(with the compose file: ``docker compose run --rm mosquitto-files && docker compose kill -s SIGHUP mqtt``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from fluorowatch.runtime import LOCAL_DATABASE_URL
from storage import agent_queries as aq
from storage.db import wait_for_database

if TYPE_CHECKING:
    from fluorowatch.settings import Settings

DEFAULT_INGEST_USER = "fluorowatch-ingest"
FILE_MODE = 0o600  # Mosquitto 2 warns about (and later versions refuse) password files others can read


def add_agents_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agents = commands.add_parser("agents", help="agents' MQTT credentials: write the broker's files")
    sub = agents.add_subparsers(title="agents commands", required=True, metavar="COMMAND")
    files = sub.add_parser(
        "mosquitto-files", help="write Mosquitto's password_file and acl_file from the agents' credentials"
    )
    files.add_argument("--passwords", type=Path, required=True, metavar="PATH", help="the password_file to write")
    files.add_argument("--acl", type=Path, required=True, metavar="PATH", help="the acl_file to write")
    files.add_argument("--ingest-user", default=DEFAULT_INGEST_USER, metavar="NAME",
                       help="the ingest service's MQTT user, reads every topic (default %(default)s)")  # fmt: skip
    files.add_argument("--ingest-password-file", type=Path, required=True, metavar="PATH",
                       help="a file holding the ingest user's password (a Docker secret)")  # fmt: skip
    files.set_defaults(handler=run_mosquitto_files)


def run_mosquitto_files(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_secret(args.ingest_password_file)
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    with psycopg.connect(url) as conn:
        passwords = aq.render_password_file(conn, {args.ingest_user: aq.mosquitto_hash(password)})
        acl = aq.render_acl_file(conn, settings.topic_prefix, readers=(args.ingest_user,))
    write_atomically(args.passwords, passwords)
    write_atomically(args.acl, acl)
    agents = passwords.count("\n") - aq.HEADER.count("\n") - 1
    print(f"mosquitto: {agents} agent(s) and {args.ingest_user} written to {args.passwords} and {args.acl}"
          " (reload the broker: SIGHUP)")  # fmt: skip
    return 0


def _read_secret(path: Path) -> str:
    try:
        password = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"--ingest-password-file {path}: cannot read it: {exc.strerror}") from None
    if not password:
        raise ValueError(f"--ingest-password-file {path}: the file is empty")
    return password


def write_atomically(path: Path, text: str, mode: int = FILE_MODE) -> None:
    """Write ``text`` to a new file beside ``path`` (mode ``mode``) and rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
