"""One run of a scheduled job at a time across worker processes: a PostgreSQL session advisory lock per job.

Two `fluorowatch worker` processes may share the job store (a rolling restart, a second replica): both see the same
job due. Each run first takes ``pg_try_advisory_lock`` on a key derived from the job id, on a connection of its own
that it holds for the whole run; a worker that does not get it skips the run. The lock goes with the connection, so
a worker that dies releases it at once (PostgreSQL ends the session), and nothing is left to clean up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

_NAMESPACE = b"fluorowatch-job:"


def job_lock_key(job_id: str) -> int:
    """The advisory-lock key of a job: the first 8 bytes of SHA-256 of its id, as a signed bigint (stable across
    processes and versions, unlike Python's hash())."""
    return int.from_bytes(hashlib.sha256(_NAMESPACE + job_id.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(database_url: str, job_id: str, *, connect_timeout_s: int = 10) -> Iterator[bool]:
    """Yield True while this process holds the job's lock, False when another session holds it (the caller
    skips). Raises psycopg.OperationalError when the database cannot be reached."""
    key = job_lock_key(job_id)
    with psycopg.connect(database_url, autocommit=True, connect_timeout=connect_timeout_s) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        held = bool(row and row[0])
        try:
            yield held
        finally:
            if held and not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def lock_is_held(conn: psycopg.Connection, job_id: str) -> bool:
    """Whether any session holds the job's lock (for tests and diagnostics; pg_locks)."""
    key = job_lock_key(job_id)
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        " AND ((classid::bigint << 32) | objid::bigint) = %s",
        (key,),
    ).fetchone()
    return bool(row and row[0])
