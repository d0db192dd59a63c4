"""Per-agent MQTT credentials (migration 0015), and the Mosquitto password and ACL files rendered from them.

Each edge agent logs in to the broker with its own username and password and may publish only its own site's
topics (edge_agent/payload.py): ``<prefix>/v1/<site code>/<equipment>/<circuit>/telemetry`` and
``<prefix>/v1/<site code>/agents/<agent>/status``. The ingest service's user reads everything under
``<prefix>/v1/#``. A revoked credential is left out of both files, so the broker refuses it once they are
rewritten and the broker reloads them (SIGHUP).

The password is shown once, when issued; the table keeps it the way Mosquitto 2's password file does (what
``mosquitto_passwd`` writes): ``$7$<iterations>$<base64 salt>$<base64 hash>``, PBKDF2-HMAC-SHA512 over a 12-byte
random salt, 64 bytes of output, 101 iterations (mosquitto_passwd's default, src/password_mosq.h in Mosquitto
2.0), standard base64 with padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from edge_agent.payload import TOPIC_SEGMENT

MOSQUITTO_ITERATIONS = 101
_SALT_BYTES = 12
_HASH_BYTES = 64
_PASSWORD_BYTES = 24
HEADER = "# Written by fluorowatch from its agent credentials; edits here are overwritten.\n"


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS) -> str:
    """``password`` hashed the way mosquitto_passwd does for Mosquitto 2 (``$7$``: PBKDF2-SHA512)."""
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, _HASH_BYTES)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def mosquitto_verify(stored: str, password: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash (as the broker checks it)."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[:2] != ["", "7"] or not parts[2].isdigit():
        return False
    salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(parts[2]), len(expected))
    return hmac.compare_digest(digest, expected)


def site_topics(topic_prefix: str, site_code: str) -> list[str]:
    """The topic filters an agent of the site may publish to."""
    base = f"{topic_prefix}/v1/{site_code}"
    return [f"{base}/+/+/telemetry", f"{base}/agents/+/status"]


def topic_safe(site_code: str) -> bool:
    return TOPIC_SEGMENT.match(site_code) is not None


def issue_agent(conn: psycopg.Connection, site_id: int, *, created_by: int | None, now: datetime) -> dict[str, Any]:
    """A new credential for an agent at ``site_id``: its row, with ``password`` (returned here and nowhere else)."""
    password = secrets.token_urlsafe(_PASSWORD_BYTES)
    username = f"agent-{site_id}-{secrets.token_hex(4)}"
    row = conn.execute(
        """INSERT INTO agent_credential (site_id, username, password_hash, created_by, created_at)
           VALUES (%s, %s, %s, %s, %s) RETURNING id""",
        (site_id, username, mosquitto_hash(password), created_by, now),
    ).fetchone()
    assert row is not None
    found = agent(conn, int(row[0]))
    assert found is not None
    return {**found, "password": password}


def agent(conn: psycopg.Connection, agent_id: int) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT a.id, a.site_id, s.site_code, a.username, a.created_at, a.revoked_at
               FROM agent_credential a JOIN site s ON s.id = a.site_id WHERE a.id = %s""",
            (agent_id,),
        ).fetchone()


def revoke_agent(conn: psycopg.Connection, agent_id: int, *, now: datetime) -> bool:
    """Revoke the credential; False if it already was."""
    cur = conn.execute(
        "UPDATE agent_credential SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL", (now, agent_id)
    )
    return cur.rowcount == 1


def _active(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        """SELECT a.username, a.password_hash, s.site_code FROM agent_credential a JOIN site s ON s.id = a.site_id
           WHERE a.revoked_at IS NULL ORDER BY a.username"""
    ).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def render_password_file(conn: psycopg.Connection, others: Mapping[str, str] | None = None) -> str:
    """Mosquitto's ``password_file``: ``username:hash`` per line, the unrevoked agents' and ``others`` (the
    ingest service's and operators' users: username -> a ``$7$`` hash, see `mosquitto_hash`)."""
    entries = {**dict(others or {}), **{user: hashed for user, hashed, _ in _active(conn)}}
    for user in entries:
        if ":" in user or not user.strip() or any(c in user for c in "\r\n"):
            raise ValueError(f"username {user!r} cannot be written to a Mosquitto password file")
    return HEADER + "".join(f"{user}:{entries[user]}\n" for user in sorted(entries))


def render_acl_file(
    conn: psycopg.Connection, topic_prefix: str, readers: Sequence[str] = ("fluorowatch-ingest",)
) -> str:
    """Mosquitto's ``acl_file``: each unrevoked agent may publish (write) its own site's topics only; each of
    ``readers`` (the ingest service) may read everything under ``<prefix>/v1/#``. Users not named get nothing."""
    blocks = [f"user {reader}\ntopic read {topic_prefix}/v1/#\n" for reader in readers]
    for user, _, site_code in _active(conn):
        if not topic_safe(site_code):
            continue  # no agent could be issued for it; never write a filter that could widen access
        blocks.append(f"user {user}\n" + "".join(f"topic write {t}\n" for t in site_topics(topic_prefix, site_code)))
    return HEADER + "\n".join(blocks)
