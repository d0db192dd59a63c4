"""/api/v1/users: who the caller is, and, for administrators, the people of their company and their roles.

An administrator's reach is what their admin grants cover: the organisation levels (and everything below) and
sites they administer. They see only the people holding a role there, and of those people only the roles held
there; they give and take roles there and nowhere else. Another company's people answer 404, as if they did not
exist. Contractor roles are not given here: a contractor's staff may serve several companies, so no one company's
administrator decides who they are (``fluorowatch users add --contractor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

import psycopg
from fastapi import APIRouter, status
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from alerts.lifecycle import Person
from api.deps import Connection, CurrentPerson
from api.errors import AUTH_ERRORS, Conflict, Forbidden, Invalid, NotFound, error_responses
from api.routers.session import ME_EXAMPLE, GrantPublic, MePublic, me
from storage import session_queries as sq
from storage.token_queries import grant_role

router = APIRouter(prefix="/users", tags=["users"])

_REFUSED = "only an administrator manages users"
_MANAGED_EXAMPLE: dict[str, Any] = {**ME_EXAMPLE["user"], "grants": ME_EXAMPLE["grants"]}
_BAD_ID = ("user_id: Input should be a valid integer, unable to parse string as an integer", "user_id")
_OUT_OF_REACH = ("site_id: no such site among those you administer", "site_id")


class RoleGrant(BaseModel):
    """A role at exactly one organisation level or site the caller administers."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "viewer", "site_id": 3}]})

    role: Literal["admin", "manager", "viewer"]
    organisation_id: int | None = None
    site_id: int | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        if (self.organisation_id is None) == (self.site_id is None):
            raise ValueError("give exactly one of organisation_id and site_id")
        return self


class UserCreate(RoleGrant):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "sato@example.jp", "display_name": "Sato Hanako",
                                         "preferred_language": "ja", "role": "manager", "site_id": 3}]},
    )  # fmt: skip

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320,
                                            pattern=r"^[^@\s]+@[^@\s]+$")]  # fmt: skip
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    preferred_language: Literal["ja", "en"] = "ja"


class ManagedUser(BaseModel):
    """A person as an administrator sees them: with the roles they hold within the administrator's reach."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MANAGED_EXAMPLE]})

    id: int
    email: str
    display_name: str
    preferred_language: Literal["ja", "en"]
    is_active: bool
    grants: list[GrantPublic]


@dataclass(frozen=True)
class Reach:
    """Where an administrator administers: organisation ids (levels and all below) and site ids."""

    organisations: list[int]
    sites: list[int]

    def holds(self, grant: dict[str, Any]) -> bool:
        return (grant["scope"] == "organisation" and grant["scope_id"] in self.organisations) or (
            grant["scope"] == "site" and grant["scope_id"] in self.sites
        )


@router.get(
    "/me",
    summary="Who the caller is",
    response_model=MePublic,
    responses={200: {"content": {"application/json": {"example": ME_EXAMPLE}}}, **error_responses(AUTH_ERRORS)},
)
def read_me(conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """The caller: the user, their language, roles and grants (the same as ``GET /api/v1/session``)."""
    return me(conn, person.user_id)


@router.get(
    "",
    summary="List the people of the caller's company",
    response_model=list[ManagedUser],
    responses={200: {"content": {"application/json": {"example": [_MANAGED_EXAMPLE]}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED})},
)  # fmt: skip
def list_users(conn: Connection, person: CurrentPerson) -> list[dict[str, Any]]:
    """Administrators only: the people holding a role where the caller administers, with those roles."""
    reach = _reach(conn, person)
    rows = conn.execute(
        "SELECT DISTINCT user_id FROM role_assignment WHERE organisation_id = ANY(%s) OR site_id = ANY(%s)",
        (reach.organisations, reach.sites),
    ).fetchall()
    return _managed(conn, reach, sorted(int(r[0]) for r in rows))


@router.post(
    "",
    summary="Add a person with a role",
    status_code=status.HTTP_201_CREATED,
    response_model=ManagedUser,
    responses={201: {"content": {"application/json": {"example": _MANAGED_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED, 409: "the person already holds this role there",
                                  422: _OUT_OF_REACH})},
)  # fmt: skip
def add_user(body: UserCreate, conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """Administrators only: a person (found by e-mail, case-insensitive, or added) given a role where the caller
    administers. An existing person keeps their name and language. They sign in once a password is set
    (``fluorowatch users password``)."""
    reach = _reach(conn, person)
    _check_scope(reach, body)
    row = conn.execute(
        """INSERT INTO app_user (email, display_name, preferred_language) VALUES (%s, %s, %s)
           ON CONFLICT (lower(email)) DO UPDATE SET email = app_user.email RETURNING id""",
        (body.email, body.display_name, body.preferred_language),
    ).fetchone()
    assert row is not None
    return _grant(conn, reach, int(row[0]), body)


@router.post(
    "/{user_id}/roles",
    summary="Give a person a role",
    status_code=status.HTTP_201_CREATED,
    response_model=ManagedUser,
    responses={201: {"content": {"application/json": {"example": _MANAGED_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: "no such user",
                                  409: "the person already holds this role there", 422: _OUT_OF_REACH})},
)  # fmt: skip
def give_role(user_id: int, body: RoleGrant, conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """Administrators only, to a person who already holds a role where the caller administers."""
    reach = _reach(conn, person)
    if not _managed(conn, reach, [user_id]):
        raise NotFound("no such user")
    _check_scope(reach, body)
    return _grant(conn, reach, user_id, body)


@router.delete(
    "/{user_id}/roles/{role_id}",
    summary="Take a role away",
    response_model=ManagedUser,
    responses={200: {"content": {"application/json": {"example": _MANAGED_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: "no such role", 422: _BAD_ID})},
)  # fmt: skip
def take_role(user_id: int, role_id: int, conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """Administrators only, a role held where the caller administers; answers the person's remaining roles
    there."""
    reach = _reach(conn, person)
    held = sq.grants_of(conn, [user_id]).get(user_id, [])
    if not any(g["id"] == role_id and reach.holds(g) for g in held):
        raise NotFound("no such role")
    conn.execute("DELETE FROM role_assignment WHERE id = %s AND user_id = %s", (role_id, user_id))
    conn.commit()
    return _user_view(conn, reach, user_id)


def _reach(conn: psycopg.Connection, person: Person) -> Reach:
    organisations = [g.organisation_id for g in person.grants if g.role == "admin" and g.organisation_id]
    sites = [g.site_id for g in person.grants if g.role == "admin" and g.site_id]
    if not organisations and not sites:
        raise Forbidden(_REFUSED)
    rows = conn.execute(
        """WITH RECURSIVE below AS (
               SELECT id FROM organisation WHERE id = ANY(%(orgs)s)
               UNION SELECT o.id FROM organisation o JOIN below b ON o.parent_id = b.id)
           SELECT 'organisation', id FROM below
           UNION ALL SELECT 'site', id FROM site
               WHERE organisation_id IN (SELECT id FROM below) OR id = ANY(%(sites)s)""",
        {"orgs": organisations, "sites": sites},
    ).fetchall()
    return Reach([int(r[1]) for r in rows if r[0] == "organisation"], [int(r[1]) for r in rows if r[0] == "site"])


def _check_scope(reach: Reach, body: RoleGrant) -> None:
    if body.organisation_id is not None and body.organisation_id not in reach.organisations:
        raise Invalid("organisation_id: no such organisation among those you administer", field="organisation_id")
    if body.site_id is not None and body.site_id not in reach.sites:
        raise Invalid(*_OUT_OF_REACH[:1], field="site_id")


def _grant(conn: psycopg.Connection, reach: Reach, user_id: int, body: RoleGrant) -> dict[str, Any]:
    added = grant_role(conn, user_id, body.role, organisation_id=body.organisation_id, site_id=body.site_id)
    if not added:
        conn.rollback()
        raise Conflict("the person already holds this role there")
    conn.commit()
    return _user_view(conn, reach, user_id)


def _user_view(conn: psycopg.Connection, reach: Reach, user_id: int) -> dict[str, Any]:
    found = _managed(conn, reach, [user_id])
    if found:
        return found[0]
    # The last role within reach was taken away: the person is shown once more, with none.
    profile = sq.profile(conn, user_id)
    assert profile is not None
    return {**profile, "grants": []}


def _managed(conn: psycopg.Connection, reach: Reach, user_ids: list[int]) -> list[dict[str, Any]]:
    """The users among ``user_ids`` holding a role within reach, each with only those roles."""
    grants = sq.grants_of(conn, user_ids)
    with conn.cursor(row_factory=dict_row) as cur:
        users = cur.execute(
            """SELECT id, email, display_name, preferred_language, is_active FROM app_user
               WHERE id = ANY(%s) ORDER BY id""",
            (user_ids,),
        ).fetchall()
    found = []
    for user in users:
        held = [g for g in grants.get(user["id"], []) if reach.holds(g)]
        if held:
            found.append({**user, "grants": held})
    return found
