"""/api/v1/delegates: a delegate the manager named may acknowledge and resolve the manager's leak alerts.

A manager names their own delegates, by e-mail, and revokes them; nobody names one for someone else. A delegate
is never deleted: revoking sets ``revoked_at`` and the row stays, as a record of who could act and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, status
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, StringConstraints

from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, Forbidden, Invalid, NotFound, error_responses

router = APIRouter(prefix="/delegates", tags=["alerts"])

_REFUSED = "only a manager names delegates"
_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": 4, "manager_user_id": 12, "delegate_user_id": 31, "delegate_email": "deputy-101@example.jp",
    "delegate_name": "Sato Hanako", "created_at": "2026-03-01T00:00:00+00:00", "revoked_at": None,
}  # fmt: skip
_REVOKED_EXAMPLE: dict[str, Any] = {**_PUBLIC_EXAMPLE, "revoked_at": "2026-04-01T00:00:00+00:00"}
_BAD_ID = ("delegate_id: Input should be a valid integer, unable to parse string as an integer", "delegate_id")


class DelegateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"delegate_email":
                                                                                "deputy-101@example.jp"}]})  # fmt: skip

    delegate_email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]


class DelegatePublic(BaseModel):
    """A delegate the manager named; ``revoked_at`` set once revoked."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PUBLIC_EXAMPLE]})

    id: int
    manager_user_id: int
    delegate_user_id: int
    delegate_email: str
    delegate_name: str
    created_at: datetime
    revoked_at: datetime | None


@router.post(
    "",
    summary="Name a delegate",
    status_code=status.HTTP_201_CREATED,
    response_model=DelegatePublic,
    responses={201: {"content": {"application/json": {"example": _PUBLIC_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED, 409: "that person is already your delegate",
                                  422: ("delegate_email: no active user has that e-mail address",
                                        "delegate_email")})},
)  # fmt: skip
def name_delegate(body: DelegateCreate, conn: Connection, person: CurrentPerson, now: Now) -> dict[str, Any]:
    """The caller, a manager, names a delegate for themselves: an existing, active user, found by e-mail
    (case-insensitive). The delegate may then acknowledge and resolve leak alerts the caller manages."""
    if not any(g.role == "manager" for g in person.grants):
        raise Forbidden(_REFUSED)
    row = conn.execute(
        "SELECT id FROM app_user WHERE lower(email) = lower(%s) AND is_active", (body.delegate_email,)
    ).fetchone()
    if row is None:
        raise Invalid("delegate_email: no active user has that e-mail address", field="delegate_email")
    delegate_id = int(row[0])
    if delegate_id == person.user_id:
        raise Invalid("delegate_email: you cannot be your own delegate", field="delegate_email")
    if any(d["delegate_user_id"] == delegate_id for d in _delegates_of(conn, person.user_id)):
        raise Conflict("that person is already your delegate")
    created = conn.execute(
        "INSERT INTO alert_delegate (manager_user_id, delegate_user_id, created_at) VALUES (%s, %s, %s) RETURNING id",
        (person.user_id, delegate_id, now),
    ).fetchone()
    assert created is not None
    conn.commit()
    return _delegate(conn, int(created[0]))


@router.get(
    "",
    summary="List the caller's delegates",
    response_model=list[DelegatePublic],
    responses={200: {"content": {"application/json": {"example": [_PUBLIC_EXAMPLE]}}},
               **error_responses(AUTH_ERRORS)},
)  # fmt: skip
def list_delegates(conn: Connection, person: CurrentPerson) -> list[dict[str, Any]]:
    """The delegates the caller named and has not revoked, oldest first."""
    return _delegates_of(conn, person.user_id)


@router.post(
    "/{delegate_id}/revoke",
    summary="Revoke a delegate",
    response_model=DelegatePublic,
    responses={200: {"content": {"application/json": {"example": _REVOKED_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: "only the manager who named a delegate revokes them",
                                  404: "no such delegate", 409: "the delegate is already revoked",
                                  422: _BAD_ID})},
)  # fmt: skip
def revoke_delegate(delegate_id: int, conn: Connection, person: CurrentPerson, now: Now) -> dict[str, Any]:
    """Only the manager who named the delegate; the row is kept, with ``revoked_at`` set."""
    row = conn.execute(
        "SELECT manager_user_id, revoked_at FROM alert_delegate WHERE id = %s FOR UPDATE", (delegate_id,)
    ).fetchone()
    if row is None:
        raise NotFound("no such delegate")
    if int(row[0]) != person.user_id:
        raise Forbidden("only the manager who named a delegate revokes them")
    if row[1] is not None:
        raise Conflict("the delegate is already revoked")
    conn.execute("UPDATE alert_delegate SET revoked_at = %s WHERE id = %s", (now, delegate_id))
    conn.commit()
    return _delegate(conn, delegate_id)


_SELECT = """SELECT d.id, d.manager_user_id, d.delegate_user_id, u.email AS delegate_email,
                    u.display_name AS delegate_name, d.created_at, d.revoked_at
             FROM alert_delegate d JOIN app_user u ON u.id = d.delegate_user_id"""


def _delegate(conn: psycopg.Connection, delegate_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"{_SELECT} WHERE d.id = %s", (delegate_id,)).fetchone()
    assert row is not None
    return row


def _delegates_of(conn: psycopg.Connection, manager_user_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"{_SELECT} WHERE d.manager_user_id = %s AND d.revoked_at IS NULL ORDER BY d.id", (manager_user_id,)
        ).fetchall()
