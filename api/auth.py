"""Who is calling: a bearer token, or a person signed in on the web with a session cookie.

- Integrations send ``Authorization: Bearer <token>`` (a token from ``fluorowatch users token``).
- People sign in with ``POST /api/v1/session`` (e-mail and argon2-hashed password): the answer sets ``fw_session``
  (HttpOnly, SameSite=Lax, Secure over https), a random token whose SHA-256 names a server-side session row, and
  ``fw_csrf``, readable by the page's script. A session ends when signed out, after `SessionPolicy.idle` without
  use or `SessionPolicy.absolute` after sign-in, whichever comes first.

Both end in the same `Person`. When a request carries an Authorization header it is judged by that alone (the
bearer wins over a cookie). Cookies are sent by the browser on its own, so a cookie-authenticated request that
changes something (POST, PUT, PATCH, DELETE) must also carry ``X-CSRF-Token`` equal to the ``fw_csrf`` cookie
(double submit; the value is also bound to the session by its hash), else 403: another site can make the
browser send the cookies but can neither read them nor set the header. Bearer requests are exempt: a browser
never adds a bearer token by itself.

A missing, unknown, expired or revoked credential, or one of a deactivated user, answers 401 with
``WWW-Authenticate: Bearer`` and says no more: which of these it was is not the caller's business.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from fastapi import Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from alerts.lifecycle import Person
from alerts.service import load_person
from api.errors import Forbidden, Unauthorized
from storage import session_queries as sq
from storage.token_queries import user_for_token

SESSION_COOKIE = "fw_session"
CSRF_COOKIE = "fw_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_REFUSED = f"a change made while signed in needs the {CSRF_HEADER} header, equal to the {CSRF_COOKIE} cookie"

# auto_error=False: a missing header is answered by `authenticate` in the API's error shape, not FastAPI's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `fluorowatch users token --email ...`, sent as `Authorization: Bearer <token>`.",
)
session_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description=f"The cookie set by `POST /api/v1/session`; changes also need the {CSRF_HEADER} header.",
)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives and how many failed sign-ins are tolerated (`fluorowatch.settings`)."""

    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)


def authenticate(conn: psycopg.Connection, credentials: HTTPAuthorizationCredentials | None) -> Person:
    """The person holding the presented token; `Unauthorized` otherwise. Commits the token's last use."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("a bearer token is needed: Authorization: Bearer <token>")
    user_id = user_for_token(conn, credentials.credentials)
    person = load_person(conn, user_id) if user_id is not None else None
    conn.commit()
    if person is None:
        raise Unauthorized("the bearer token is not valid")
    return person


def authenticate_request(
    request: Request,
    conn: psycopg.Connection,
    credentials: HTTPAuthorizationCredentials | None,
    session_token: str | None,
) -> Person:
    """The caller by bearer token (whenever an Authorization header is sent) or else by session cookie, with the
    CSRF check for changes; `Unauthorized` or `Forbidden` otherwise."""
    if "authorization" in request.headers or not session_token:
        return authenticate(conn, credentials)
    session = _live_session(request, conn, session_token)
    person = load_person(conn, session.user_id) if session is not None else None
    conn.commit()
    if session is None or person is None:
        raise Unauthorized("the session has ended; sign in again")
    if request.method not in SAFE_METHODS and not csrf_ok(request, session):
        raise Forbidden(CSRF_REFUSED)
    return person


def person_or_none(request: Request, conn: psycopg.Connection) -> Person | None:
    """The person signed in with the session cookie, or None (the dashboard's pages then redirect to /login).
    Reads the cookie only, never a bearer token; meant for pages that show, so there is no CSRF check here."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = _live_session(request, conn, token)
    person = load_person(conn, session.user_id) if session is not None else None
    conn.commit()
    return person


def session_of(request: Request, conn: psycopg.Connection) -> sq.LiveSession | None:
    """The live session the request's cookie opens, if any (not committed: the caller commits)."""
    token = request.cookies.get(SESSION_COOKIE)
    return _live_session(request, conn, token) if token else None


def csrf_ok(request: Request, session: sq.LiveSession) -> bool:
    """Whether the request proves it comes from our own page: header equal to cookie, and the session's."""
    header, cookie = request.headers.get(CSRF_HEADER, ""), request.cookies.get(CSRF_COOKIE, "")
    if not header or not cookie or not secrets.compare_digest(header.encode(), cookie.encode()):
        return False
    return secrets.compare_digest(hashlib.sha256(cookie.encode()).hexdigest(), session.csrf_hash)


def policy_of(request: Request) -> SessionPolicy:
    policy: SessionPolicy = request.app.state.session_policy
    return policy


def _live_session(request: Request, conn: psycopg.Connection, token: str) -> sq.LiveSession | None:
    now: datetime = request.app.state.clock()
    return sq.live_session(conn, token, now=now, idle=policy_of(request).idle)
