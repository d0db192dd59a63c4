"""/api/v1/channels/{channel_id}/routes: who gets what — a channel hears a site's (or an organisation level's)
alerts for an audience, optionally only some categories.

Only an administrator or manager whose roles cover the site (at the site or an organisation level above it), or
the organisation level (at it or above), routes a channel there, and only a channel they can see (the rule of
``GET /channels``). A channel you cannot see answers 404: its existence is not disclosed.

Routes are not removed through the API yet: the API has no DELETE route anywhere (a test holds it to that).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, status
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alerts.lifecycle import Person
from api.deps import Connection, CurrentPerson
from api.errors import AUTH_ERRORS, Forbidden, Invalid, NotFound, error_responses
from api.routers.channels import _channels_of, _companies
from storage.alert_queries import scope_of_site

router = APIRouter(prefix="/channels/{channel_id}/routes", tags=["channels"])

Audience = Literal["manager", "deputy", "contractor", "head_office"]
Category = Literal["leak", "condenser_fouling", "evaporator_icing", "overcharge", "sensor_drift", "other_fault",
                   "data_gap", "inspection_due", "inspection_overdue"]  # fmt: skip
_ROUTING_ROLES = ("admin", "manager")
_REFUSED = "only administrators and managers route notification channels"
_NOT_YOURS = "you are not an administrator or manager of that site or organisation level"
_NO_CHANNEL = "no such channel, or not one you may see"

_CREATE_EXAMPLE: dict[str, Any] = {"site_code": "S-101", "audience": "manager", "categories": ["leak"]}
_PUBLIC_EXAMPLE: dict[str, Any] = {"id": 11, "channel_id": 5, "site_id": 3, "site_code": "S-101",
                                   "organisation_id": None, "audience": "manager", "categories": ["leak"]}  # fmt: skip


class RouteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    site_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = Field(
        default=None, description="the site whose alerts the channel hears; or give organisation_id"
    )
    organisation_id: int | None = Field(
        default=None, description="an organisation level (company, region, branch); or give site_code"
    )
    audience: Audience
    categories: Annotated[list[Category], Field(min_length=1)] | None = Field(
        default=None, description="only these alert categories; omitted or null: every category"
    )


class RoutePublic(BaseModel):
    """A route: the channel, where (a site or an organisation level), for whom, which categories (null: all)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PUBLIC_EXAMPLE]})

    id: int
    channel_id: int
    site_id: int | None
    site_code: str | None
    organisation_id: int | None
    audience: str
    categories: list[str] | None


_BAD_ID = ("channel_id: Input should be a valid integer, unable to parse string as an integer", "channel_id")
_ERRORS: dict[int, str | tuple[str, str]] = {**AUTH_ERRORS, 403: _REFUSED, 404: _NO_CHANNEL, 422: _BAD_ID}


@router.post(
    "",
    summary="Route a channel to a site or organisation level",
    status_code=status.HTTP_201_CREATED,
    response_model=RoutePublic,
    responses={201: {"content": {"application/json": {"example": _PUBLIC_EXAMPLE}}},
               **error_responses({**_ERRORS, 422: ("audience: Input should be 'manager', 'deputy', 'contractor' "
                                                   "or 'head_office'", "audience")})},
)  # fmt: skip
def create_route(channel_id: int, body: RouteCreate, conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """Exactly one of ``site_code`` and ``organisation_id``. The caller must be an administrator or manager at
    the site or an organisation level above it (for an organisation level: at it or above)."""
    channel = _visible_channel(conn, person, channel_id)
    if (body.site_code is None) == (body.organisation_id is None):
        raise Invalid("site_code: give exactly one of site_code and organisation_id", field="site_code")
    if body.site_code is not None:
        site_id, levels = _site_levels(conn, body.site_code)
        covered = _covers(person, levels, site_id)
    else:
        assert body.organisation_id is not None
        site_id, levels = None, _organisation_levels(conn, body.organisation_id)
        covered = _covers(person, levels, None)
    if not covered:
        raise Forbidden(_NOT_YOURS)
    if channel["organisation_id"] is not None and levels[-1] != channel["organisation_id"]:
        raise Forbidden("the channel belongs to another company than that site or organisation level")
    categories: list[str] | None = sorted(set(body.categories)) if body.categories is not None else None
    row = _insert_route(conn, channel_id, site_id, body.organisation_id, body.audience, categories)
    conn.commit()
    return row


@router.get(
    "",
    summary="List a channel's routes",
    response_model=list[RoutePublic],
    responses={200: {"content": {"application/json": {"example": [_PUBLIC_EXAMPLE]}}},
               **error_responses(_ERRORS)},
)  # fmt: skip
def list_routes(channel_id: int, conn: Connection, person: CurrentPerson) -> list[dict[str, Any]]:
    """The channel's routes within the caller's companies (a channel made outside the API may also be routed
    to another company's sites; those are not shown)."""
    _visible_channel(conn, person, channel_id)
    return _routes_of(conn, channel_id, _companies(conn, person))


def _visible_channel(conn: psycopg.Connection, person: Person, channel_id: int) -> dict[str, Any]:
    companies = _companies(conn, person)
    if not companies:
        raise Forbidden(_REFUSED)
    for channel in _channels_of(conn, companies):
        if channel["id"] == channel_id:
            return channel
    raise NotFound(_NO_CHANNEL)


def _covers(person: Person, levels: tuple[int, ...], site_id: int | None) -> bool:
    return any(
        g.role in _ROUTING_ROLES and ((site_id is not None and g.site_id == site_id) or g.organisation_id in levels)
        for g in person.grants
    )


def _site_levels(conn: psycopg.Connection, site_code: str) -> tuple[int, tuple[int, ...]]:
    """The site's id and the organisation levels above it, nearest first (its company last)."""
    row = conn.execute("SELECT id FROM site WHERE site_code = %s", (site_code,)).fetchone()
    if row is None:
        raise Invalid("site_code: no such site", field="site_code")
    site_id = int(row[0])
    return site_id, scope_of_site(conn, site_id).organisations


def _organisation_levels(conn: psycopg.Connection, organisation_id: int) -> tuple[int, ...]:
    """The organisation level and those above it, nearest first (its company last)."""
    rows = conn.execute(
        """WITH RECURSIVE up AS (
               SELECT id, parent_id, depth FROM organisation WHERE id = %s
               UNION ALL SELECT o.id, o.parent_id, o.depth FROM organisation o JOIN up ON o.id = up.parent_id)
           SELECT id FROM up ORDER BY depth DESC""",
        (organisation_id,),
    ).fetchall()
    if not rows:
        raise Invalid("organisation_id: no such organisation level", field="organisation_id")
    return tuple(int(r[0]) for r in rows)


_COLUMNS = "r.id, r.channel_id, r.site_id, s.site_code, r.organisation_id, r.audience, r.categories"


def _insert_route(
    conn: psycopg.Connection, channel_id: int, site_id: int | None, organisation_id: int | None, audience: str,
    categories: list[str] | None,
) -> dict[str, Any]:  # fmt: skip
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"""WITH r AS (
                    INSERT INTO notification_route (channel_id, site_id, organisation_id, audience, categories)
                    VALUES (%s, %s, %s, %s, %s) RETURNING *)
                SELECT {_COLUMNS} FROM r LEFT JOIN site s ON s.id = r.site_id""",
            (channel_id, site_id, organisation_id, audience, categories),
        ).fetchone()
    assert row is not None
    return row


def _routes_of(conn: psycopg.Connection, channel_id: int, companies: list[int]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""WITH RECURSIVE tree AS (
                    SELECT id FROM organisation WHERE id = ANY(%(companies)s)
                    UNION SELECT o.id FROM organisation o JOIN tree t ON o.parent_id = t.id)
                SELECT {_COLUMNS} FROM notification_route r LEFT JOIN site s ON s.id = r.site_id
                WHERE r.channel_id = %(channel)s
                  AND coalesce(r.organisation_id, s.organisation_id) IN (SELECT id FROM tree)
                ORDER BY r.id""",
            {"channel": channel_id, "companies": companies},
        ).fetchall()
