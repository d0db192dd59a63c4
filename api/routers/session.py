"""/api/v1/session: signing in and out on the web, and who is signed in (see api/auth.py for the cookies).

A failed sign-in answers 401 with one message whether the e-mail address is unknown or the password wrong.
Failures are kept per e-mail address and caller's address: after `SessionPolicy.max_failures` within
`SessionPolicy.failure_window` further attempts answer 429 with ``Retry-After``, a right password too, until the
oldest of those failures leaves the window. A successful sign-in forgets the failures.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from api.auth import CSRF_COOKIE, CSRF_REFUSED, SESSION_COOKIE, csrf_ok, policy_of, session_of, session_scheme
from api.deps import ClientAddress, Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Forbidden, TooManyRequests, Unauthorized, error_responses
from fluorowatch import passwords
from storage import session_queries as sq

router = APIRouter(prefix="/session", tags=["session"])

WRONG = "the e-mail address or the password is wrong"
_GRANT_EXAMPLE: dict[str, Any] = {"id": 5, "role": "manager", "scope": "site", "scope_id": 3,
                                  "scope_name": "Sakura Mart Shinjuku"}  # fmt: skip
_USER_EXAMPLE: dict[str, Any] = {"id": 12, "email": "tanaka@example.jp", "display_name": "Tanaka Ichiro",
                                 "preferred_language": "ja", "is_active": True}  # fmt: skip
ME_EXAMPLE: dict[str, Any] = {"user": _USER_EXAMPLE, "roles": ["manager"], "grants": [_GRANT_EXAMPLE]}


class SignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "tanaka@example.jp", "password": "correct horse battery"}]},
    )

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=passwords.MAX_LENGTH)]


class UserPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_USER_EXAMPLE]})

    id: int
    email: str
    display_name: str
    preferred_language: Literal["ja", "en"]
    is_active: bool


class GrantPublic(BaseModel):
    """One role and where it holds: an organisation level (and below), a site, or a contractor's staff."""

    model_config = ConfigDict(json_schema_extra={"examples": [_GRANT_EXAMPLE]})

    id: int
    role: Literal["admin", "manager", "viewer", "contractor"]
    scope: Literal["organisation", "site", "contractor"]
    scope_id: int
    scope_name: str


class MePublic(BaseModel):
    """A person, their roles (distinct, sorted) and their grants."""

    model_config = ConfigDict(json_schema_extra={"examples": [ME_EXAMPLE]})

    user: UserPublic
    roles: list[str]
    grants: list[GrantPublic]


class SignedOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"signed_out": True}]})

    signed_out: bool


def me(conn: psycopg.Connection, user_id: int) -> dict[str, Any]:
    found = sq.profile(conn, user_id)
    assert found is not None
    grants = found.pop("grants")
    return {"user": found, "roles": sorted({g["role"] for g in grants}), "grants": grants}


@router.post(
    "",
    summary="Sign in",
    response_model=MePublic,
    responses={200: {"content": {"application/json": {"example": ME_EXAMPLE}}},
               **error_responses({401: WRONG, 422: ("email: String should have at least 3 characters", "email"),
                                  429: "too many failed sign-ins; try again later"})},
)  # fmt: skip
def sign_in(
    body: SignIn, request: Request, response: Response, conn: Connection, address: ClientAddress, now: Now
) -> dict[str, Any]:
    """Check the e-mail address and password; on success open a session and set the ``fw_session`` (HttpOnly)
    and ``fw_csrf`` cookies. Send ``X-CSRF-Token: <fw_csrf>`` with every change made with the session."""
    policy = policy_of(request)
    failures = sq.recent_failures(conn, body.email, address, now=now, window=policy.failure_window)
    if len(failures) >= policy.max_failures:
        free_at = failures[-policy.max_failures] + policy.failure_window
        raise TooManyRequests("too many failed sign-ins; try again later",
                              retry_after_s=math.ceil((free_at - now).total_seconds()))  # fmt: skip
    found = sq.password_of(conn, body.email)
    if found is None or not passwords.verify_password(found[1], body.password):
        sq.note_failure(conn, body.email, address, now=now)
        conn.commit()
        raise Unauthorized(WRONG)
    user_id, stored = found
    if stored is not None and passwords.needs_rehash(stored):
        sq.set_password_hash(conn, user_id, passwords.rehash(body.password))
    sq.forget_failures(conn, body.email, address)
    opened = sq.open_session(conn, user_id, now=now, lifetime=policy.absolute,
                             user_agent=request.headers.get("user-agent", ""), from_address=address)  # fmt: skip
    conn.commit()
    secure = request.url.scheme == "https"
    max_age = int(policy.absolute.total_seconds())
    response.set_cookie(SESSION_COOKIE, opened.token, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="lax")  # fmt: skip
    response.set_cookie(CSRF_COOKIE, opened.csrf_token, max_age=max_age, path="/", secure=secure, httponly=False,
                        samesite="lax")  # fmt: skip
    return me(conn, user_id)


@router.get(
    "",
    summary="Who is signed in",
    response_model=MePublic,
    responses={200: {"content": {"application/json": {"example": ME_EXAMPLE}}}, **error_responses(AUTH_ERRORS)},
)
def who_am_i(conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """The caller (by session cookie, or by bearer token): the user, their language, roles and grants."""
    return me(conn, person.user_id)


@router.delete(
    "",
    summary="Sign out",
    response_model=SignedOut,
    responses={200: {"content": {"application/json": {"example": {"signed_out": True}}}},
               **error_responses({**AUTH_ERRORS, 403: CSRF_REFUSED})},
)  # fmt: skip
def sign_out(
    request: Request,
    response: Response,
    conn: Connection,
    now: Now,
    _cookie: Annotated[str | None, Depends(session_scheme)],
) -> dict[str, bool]:
    """End the session (it cannot be used again) and clear the cookies; needs ``X-CSRF-Token`` like any change.
    Without a live session there is nothing to end: the cookies are cleared all the same."""
    session = session_of(request, conn)
    if session is not None:
        if not csrf_ok(request, session):
            conn.commit()
            raise Forbidden(CSRF_REFUSED)
        sq.revoke_session(conn, session.id, now=now)
    conn.commit()
    secure = request.url.scheme == "https"
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="lax")
    return {"signed_out": session is not None}
