"""/api/v1/channels: where notifications go (e-mail, a webhook, a chat service through apprise).

Administrators and managers configure their company's channels; nobody else sees them. A configuration is
checked by the channel's own model before it is stored, and an error names the field (``config.port``).
Secrets never come back out: passwords, secrets, tokens and header values are masked, and URLs keep only their
scheme and host. A channel a delivery found broken shows ``broken_at`` and ``broken_reason``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import psycopg
from fastapi import APIRouter, status
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alerts.channels import ChannelConfigError, parse_channel_config
from alerts.lifecycle import Person
from api.deps import Connection, CurrentPerson
from api.errors import AUTH_ERRORS, Forbidden, Invalid, error_responses

router = APIRouter(prefix="/channels", tags=["channels"])

MASK = "********"
_SECRET_KEY = re.compile(r"password|passwd|secret|token|authorization|api[_-]?key|credential", re.IGNORECASE)
_CONFIGURING_ROLES = ("admin", "manager")
_REFUSED = "only administrators and managers configure notification channels"

_CREATE_EXAMPLE: dict[str, Any] = {
    "name": "Shinjuku store manager", "kind": "email", "language": "ja",
    "config": {"host": "smtp.example.jp", "port": 587, "username": "alerts", "password": "s3cret-pass",
               "from_address": "alerts@example.jp", "to": ["tenpo-101@example.jp"]},
}  # fmt: skip
_PUBLIC_EXAMPLE: dict[str, Any] = {
    **_CREATE_EXAMPLE, "id": 5, "organisation_id": 1, "created_at": "2026-03-01T00:00:00+00:00",
    "config": {**_CREATE_EXAMPLE["config"], "password": MASK},
    "broken_at": "2026-03-02T03:00:00+00:00", "broken_reason": "535 authentication failed",
}  # fmt: skip


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: Literal["email", "webhook", "apprise"]
    config: dict[str, Any]
    language: Literal["ja", "en"] = "ja"
    organisation_id: int | None = Field(
        default=None, description="the company owning the channel; needed only by someone working for several"
    )


class ChannelPublic(BaseModel):
    """A channel with its secrets masked, and whether deliveries found it broken."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PUBLIC_EXAMPLE]})

    id: int
    name: str
    kind: str
    config: dict[str, Any]
    language: str
    organisation_id: int | None
    created_at: datetime
    broken_at: datetime | None
    broken_reason: str | None


@router.post(
    "",
    summary="Add a notification channel",
    status_code=status.HTTP_201_CREATED,
    response_model=ChannelPublic,
    responses={201: {"content": {"application/json": {"example": {**_PUBLIC_EXAMPLE, "broken_at": None,
                                                                   "broken_reason": None}}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED,
                                  422: ("config.port: Input should be a valid integer", "config.port")})},
)  # fmt: skip
def create_channel(body: ChannelCreate, conn: Connection, person: CurrentPerson) -> dict[str, Any]:
    """The configuration is checked by the kind's model; file references (``password_file``) are refused here:
    they name files on the server and are for its operators, not for API callers."""
    company = _owning_company(conn, person, body.organisation_id)
    _check_config(body.kind, body.config)
    row = _insert_channel(conn, body, company)
    conn.commit()
    return _public(row)


@router.get(
    "",
    summary="List the notification channels of the caller's company",
    response_model=list[ChannelPublic],
    responses={200: {"content": {"application/json": {"example": [_PUBLIC_EXAMPLE]}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED})},
)  # fmt: skip
def list_channels(conn: Connection, person: CurrentPerson) -> list[dict[str, Any]]:
    """Channels of the companies where the caller is an administrator or manager, broken ones flagged."""
    companies = _companies(conn, person)
    if not companies:
        raise Forbidden(_REFUSED)
    return [_public(row) for row in _channels_of(conn, companies)]


def _owning_company(conn: psycopg.Connection, person: Person, requested: int | None) -> int:
    companies = _companies(conn, person)
    if not companies:
        raise Forbidden(_REFUSED)
    if requested is not None:
        if requested not in companies:
            raise Forbidden("you are not an administrator or manager of that company")
        return requested
    if len(companies) > 1:
        raise Invalid("organisation_id: you work for several companies; name the one owning the channel",
                      field="organisation_id")  # fmt: skip
    return companies[0]


def _check_config(kind: str, config: dict[str, Any]) -> None:
    for key in config:
        if key.endswith("_file"):
            raise Invalid(f"config.{key}: file references are for the server's own configuration; "
                          f"give {key.removesuffix('_file')} inline", field=f"config.{key}")  # fmt: skip
    try:
        parse_channel_config(kind, config)
    except ChannelConfigError as exc:
        key, _, detail = str(exc).partition(": ")
        path = key.split(".")
        field = "kind" if path == ["kind"] else ".".join(["config", *path[1:]])
        raise Invalid(f"{field}: {detail or exc}", field=field) from None


def mask_secrets(value: Any, key: str = "") -> Any:
    """``value`` with every secret replaced: values of secret-looking keys and of headers, URL paths and
    credentials (a chat service's URL carries its token, often in the host part)."""
    if value is not None and _SECRET_KEY.search(key) and not key.endswith("_file"):
        return MASK
    if isinstance(value, dict):
        if key.lower() == "headers":
            return {k: MASK for k in value}
        return {k: mask_secrets(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v, key) for v in value]
    if isinstance(value, str) and "://" in value:
        return _mask_url(value)
    return value


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme}://{MASK}"
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    rest = f"/{MASK}" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "config": mask_secrets(row["config"])}


# The channel's queries: small enough to live with its one user (the delivery job has its own).
_COLUMNS = "id, name, kind, config, language, organisation_id, created_at, broken_at, broken_reason"


def _companies(conn: psycopg.Connection, person: Person) -> list[int]:
    """The companies (top organisations) where ``person`` is an administrator or a manager, at any level."""
    grants = [g for g in person.grants if g.role in _CONFIGURING_ROLES]
    orgs = [g.organisation_id for g in grants if g.organisation_id is not None]
    sites = [g.site_id for g in grants if g.site_id is not None]
    if not orgs and not sites:
        return []
    rows = conn.execute(
        """WITH RECURSIVE up AS (
               SELECT o.id, o.parent_id FROM organisation o
               WHERE o.id = ANY(%(orgs)s) OR o.id IN (SELECT organisation_id FROM site WHERE id = ANY(%(sites)s))
               UNION SELECT o.id, o.parent_id FROM organisation o JOIN up ON o.id = up.parent_id)
           SELECT id FROM up WHERE parent_id IS NULL ORDER BY id""",
        {"orgs": orgs, "sites": sites},
    ).fetchall()
    return [int(r[0]) for r in rows]


def _channels_of(conn: psycopg.Connection, companies: list[int]) -> list[dict[str, Any]]:
    """Channels owned by ``companies``, and unowned ones routed to their sites or organisation levels."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""WITH RECURSIVE tree AS (
                    SELECT id FROM organisation WHERE id = ANY(%(companies)s)
                    UNION SELECT o.id FROM organisation o JOIN tree t ON o.parent_id = t.id)
                SELECT {_COLUMNS} FROM notification_channel c
                WHERE c.organisation_id = ANY(%(companies)s)
                   OR (c.organisation_id IS NULL AND EXISTS (
                       SELECT 1 FROM notification_route r LEFT JOIN site s ON s.id = r.site_id
                       WHERE r.channel_id = c.id
                         AND coalesce(r.organisation_id, s.organisation_id) IN (SELECT id FROM tree)))
                ORDER BY c.id""",
            {"companies": companies},
        ).fetchall()


def _insert_channel(conn: psycopg.Connection, body: ChannelCreate, company: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"""INSERT INTO notification_channel (name, kind, config, language, organisation_id)
                VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",
            (body.name, body.kind, Jsonb(body.config), body.language, company),
        ).fetchone()
    assert row is not None
    return row
