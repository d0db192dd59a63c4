"""Queries for web sign-in (migration 0015): passwords, sessions and failed sign-ins.

A session is 32 random bytes the browser keeps in a cookie; the table's id is its SHA-256 (hex), like an API
token's, so a copy of the database opens no session. Every time is the application's clock, passed in: the
routes never read the system clock, and tests move time by injecting theirs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from storage.token_queries import TOKEN_BYTES, hash_token

# Writing last_seen_at on every request would turn each read into a write; once a minute keeps idle expiry exact
# to the minute.
_TOUCH_INTERVAL = timedelta(minutes=1)
_FORGET_FAILURES_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie's value, returned here only
    csrf_token: str  # the readable cookie's value, echoed by the browser in X-CSRF-Token


@dataclass(frozen=True)
class LiveSession:
    id: str
    user_id: int
    csrf_hash: str


def password_of(conn: psycopg.Connection, email: str) -> tuple[int, str | None] | None:
    """(user id, password hash) of the active user with ``email``; None when there is none."""
    row = conn.execute(
        "SELECT id, password_hash FROM app_user WHERE lower(email) = lower(%s) AND is_active", (email.strip(),)
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def set_password_hash(conn: psycopg.Connection, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE app_user SET password_hash = %s WHERE id = %s", (password_hash, user_id))


def open_session(
    conn: psycopg.Connection, user_id: int, *, now: datetime, lifetime: timedelta, user_agent: str, from_address: str
) -> NewSession:
    token, csrf = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    conn.execute(
        """INSERT INTO user_session (id, user_id, csrf_hash, created_at, last_seen_at, expires_at, user_agent,
               from_address)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (hash_token(token), user_id, hash_token(csrf), now, now, now + lifetime, user_agent[:500], from_address),
    )
    return NewSession(token, csrf)


def live_session(conn: psycopg.Connection, token: str, *, now: datetime, idle: timedelta) -> LiveSession | None:
    """The unrevoked, unexpired session of an active user opened with ``token``, noting that it was used."""
    row = conn.execute(
        """SELECT s.id, s.user_id, s.csrf_hash, s.last_seen_at FROM user_session s JOIN app_user u ON u.id = s.user_id
           WHERE s.id = %(id)s AND s.revoked_at IS NULL AND u.is_active
             AND %(now)s < s.expires_at AND %(now)s < s.last_seen_at + %(idle)s""",
        {"id": hash_token(token), "now": now, "idle": idle},
    ).fetchone()
    if row is None:
        return None
    if now - row[3] >= _TOUCH_INTERVAL:
        conn.execute("UPDATE user_session SET last_seen_at = %s WHERE id = %s", (now, row[0]))
    return LiveSession(str(row[0]), int(row[1]), str(row[2]))


def revoke_session(conn: psycopg.Connection, session_id: str, *, now: datetime) -> None:
    conn.execute("UPDATE user_session SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL", (now, session_id))


def revoke_sessions_of(conn: psycopg.Connection, user_id: int, *, now: datetime) -> int:
    """End every session of ``user_id`` (a new password signs the person out everywhere)."""
    cur = conn.execute(
        "UPDATE user_session SET revoked_at = %s WHERE user_id = %s AND revoked_at IS NULL", (now, user_id)
    )
    return cur.rowcount


def recent_failures(
    conn: psycopg.Connection, email: str, from_address: str, *, now: datetime, window: timedelta
) -> list[datetime]:
    """When sign-in failed for this e-mail address from this address within ``window``, oldest first."""
    rows = conn.execute(
        """SELECT at FROM login_failure WHERE email = %s AND from_address = %s AND at > %s AND at <= %s
           ORDER BY at""",
        (_key(email), from_address, now - window, now),
    ).fetchall()
    return [r[0] for r in rows]


def note_failure(conn: psycopg.Connection, email: str, from_address: str, *, now: datetime) -> None:
    conn.execute("DELETE FROM login_failure WHERE at < %s", (now - _FORGET_FAILURES_AFTER,))
    conn.execute(
        "INSERT INTO login_failure (email, from_address, at) VALUES (%s, %s, %s)", (_key(email), from_address, now)
    )


def forget_failures(conn: psycopg.Connection, email: str, from_address: str) -> None:
    conn.execute("DELETE FROM login_failure WHERE email = %s AND from_address = %s", (_key(email), from_address))


def profile(conn: psycopg.Connection, user_id: int) -> dict[str, Any] | None:
    """The user and their grants, each with the name of where it holds."""
    with conn.cursor(row_factory=dict_row) as cur:
        user = cur.execute(
            "SELECT id, email, display_name, preferred_language, is_active FROM app_user WHERE id = %s", (user_id,)
        ).fetchone()
        if user is None:
            return None
        user["grants"] = grants_of(conn, [user_id]).get(user_id, [])
    return user


def grants_of(conn: psycopg.Connection, user_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The users' role assignments, each with its scope's kind, id and name."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT r.user_id, r.id, r.role,
                   CASE WHEN r.organisation_id IS NOT NULL THEN 'organisation'
                        WHEN r.site_id IS NOT NULL THEN 'site' ELSE 'contractor' END AS scope,
                   coalesce(r.organisation_id, r.site_id, r.contractor_id) AS scope_id,
                   coalesce(o.name, s.name, c.name) AS scope_name
               FROM role_assignment r
               LEFT JOIN organisation o ON o.id = r.organisation_id
               LEFT JOIN site s ON s.id = r.site_id
               LEFT JOIN contractor c ON c.id = r.contractor_id
               WHERE r.user_id = ANY(%s) ORDER BY r.user_id, r.id""",
            (user_ids,),
        ).fetchall()
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.pop("user_id"), []).append(row)
    return found


def _key(email: str) -> str:
    return email.strip().lower()
