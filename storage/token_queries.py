"""Queries for API tokens (migration 0010) and the people who hold them (app_user, role_assignment).

A token is 32 random bytes, URL-safe; only its SHA-256 (hex) is stored, so the token is shown once when issued
and can never be read back. Looking a token up by its hash needs no constant-time comparison: an attacker who
times the index learns about hashes of guesses, not about the token.
"""

from __future__ import annotations

import hashlib
import secrets

import psycopg

TOKEN_BYTES = 32
ROLES = ("admin", "manager", "viewer", "contractor")
# Writing last_used_at on every request would turn each read into a write; once a minute is enough to see use.
_TOUCH_INTERVAL = "1 minute"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(conn: psycopg.Connection, user_id: int, name: str = "") -> tuple[int, str]:
    """A new token for ``user_id``: (its id, the token itself — returned here and nowhere else)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = conn.execute(
        "INSERT INTO api_token (user_id, token_hash, name) VALUES (%s, %s, %s) RETURNING id",
        (user_id, hash_token(token), name),
    ).fetchone()
    assert row is not None
    return int(row[0]), token


def user_for_token(conn: psycopg.Connection, token: str) -> int | None:
    """The active user holding the unrevoked ``token``, noting when it was used; None for any other token."""
    row = conn.execute(
        """WITH found AS (
                SELECT t.id, t.user_id, t.last_used_at FROM api_token t JOIN app_user u ON u.id = t.user_id
                WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.is_active),
            touched AS (
                UPDATE api_token SET last_used_at = now() FROM found
                WHERE api_token.id = found.id
                  AND (found.last_used_at IS NULL OR found.last_used_at < now() - %s::interval))
            SELECT user_id FROM found""",
        (hash_token(token), _TOUCH_INTERVAL),
    ).fetchone()
    return int(row[0]) if row else None


def revoke_tokens(conn: psycopg.Connection, user_id: int, token_id: int | None = None) -> int:
    """Revoke one token of ``user_id`` (or all of them); returns how many were still valid."""
    cur = conn.execute(
        """UPDATE api_token SET revoked_at = now()
           WHERE user_id = %s AND revoked_at IS NULL AND (%s::bigint IS NULL OR id = %s)""",
        (user_id, token_id, token_id),
    )
    return cur.rowcount


def user_by_email(conn: psycopg.Connection, email: str) -> int | None:
    row = conn.execute("SELECT id FROM app_user WHERE lower(email) = lower(%s)", (email.strip(),)).fetchone()
    return int(row[0]) if row else None


def save_user(conn: psycopg.Connection, email: str, display_name: str | None = None) -> int:
    """The id of the user with ``email`` (case-insensitive), creating the user if needed."""
    row = conn.execute(
        """INSERT INTO app_user (email, display_name) VALUES (%s, coalesce(%s, ''))
           ON CONFLICT (lower(email)) DO UPDATE SET display_name = coalesce(%s, app_user.display_name)
           RETURNING id""",
        (email.strip(), display_name, display_name),
    ).fetchone()
    assert row is not None
    return int(row[0])


def grant_role(
    conn: psycopg.Connection,
    user_id: int,
    role: str,
    *,
    organisation_id: int | None = None,
    site_id: int | None = None,
    contractor_id: int | None = None,
) -> bool:
    """Give ``user_id`` ``role`` at exactly one scope; False if the user already had it."""
    cur = conn.execute(
        """INSERT INTO role_assignment (user_id, role, organisation_id, site_id, contractor_id)
           SELECT %(user)s, %(role)s, %(org)s, %(site)s, %(contractor)s
           WHERE NOT EXISTS (SELECT 1 FROM role_assignment WHERE user_id = %(user)s AND role = %(role)s
               AND organisation_id IS NOT DISTINCT FROM %(org)s AND site_id IS NOT DISTINCT FROM %(site)s
               AND contractor_id IS NOT DISTINCT FROM %(contractor)s)""",
        {"user": user_id, "role": role, "org": organisation_id, "site": site_id, "contractor": contractor_id},
    )
    return cur.rowcount == 1


def site_by_code(conn: psycopg.Connection, site_code: str) -> int | None:
    row = conn.execute("SELECT id FROM site WHERE site_code = %s", (site_code,)).fetchone()
    return int(row[0]) if row else None


def organisation_by_path(conn: psycopg.Connection, names: list[str]) -> int | None:
    """The organisation at ``names`` (company first, e.g. ["Sakura Mart", "Kanto"]); None if there is none."""
    parent: int | None = None
    for name in names:
        row = conn.execute(
            "SELECT id FROM organisation WHERE name = %s AND parent_id IS NOT DISTINCT FROM %s", (name, parent)
        ).fetchone()
        if row is None:
            return None
        parent = int(row[0])
    return parent


def contractors_by_registration(conn: psycopg.Connection, registration_no: str) -> list[int]:
    rows = conn.execute("SELECT id FROM contractor WHERE registration_no = %s ORDER BY id", (registration_no,))
    return [int(r[0]) for r in rows.fetchall()]
