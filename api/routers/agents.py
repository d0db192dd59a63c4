"""/api/v1/sites/{site_id}/agents and /api/v1/agents: MQTT credentials for edge agents, one per agent.

An administrator over the site, or a manager of it, issues a credential; the password is in that answer only
(stored as Mosquitto hashes it). Revoking keeps the row. The broker learns of both when the operations job
rewrites its password and ACL files from storage/agent_queries.py. Sites the caller cannot see answer 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict

from alerts.lifecycle import Person, covers, manages
from alerts.service import visible_site_ids
from api.deps import Connection, CurrentPerson, Now
from api.errors import AUTH_ERRORS, Conflict, Forbidden, NotFound, error_responses
from storage import agent_queries as aq
from storage.alert_queries import scope_of_site

router = APIRouter(tags=["agents"])

_REFUSED = "only an administrator or a manager of the site manages its agents"
_AGENT_EXAMPLE: dict[str, Any] = {"id": 7, "site_id": 3, "site_code": "S-101", "username": "agent-3-5f2a9c1e",
                                  "created_at": "2026-03-01T00:00:00+00:00", "revoked_at": None}  # fmt: skip
_ISSUED_EXAMPLE: dict[str, Any] = {
    **_AGENT_EXAMPLE, "password": "q5Lw0sX8mZ2v7yQe1pK9tHc3bN4dR6fJ", "topic_prefix": "fw/v1/S-101",
    "topics": ["fw/v1/S-101/+/+/telemetry", "fw/v1/S-101/agents/+/status"],
}  # fmt: skip
_REVOKED_EXAMPLE: dict[str, Any] = {**_AGENT_EXAMPLE, "revoked_at": "2026-04-01T00:00:00+00:00"}
_BAD_SITE = ("site_id: Input should be a valid integer, unable to parse string as an integer", "site_id")
_BAD_AGENT = ("agent_id: Input should be a valid integer, unable to parse string as an integer", "agent_id")


class AgentPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_AGENT_EXAMPLE]})

    id: int
    site_id: int
    site_code: str
    username: str
    created_at: datetime
    revoked_at: datetime | None


class AgentIssued(AgentPublic):
    """A new credential: the password is shown here once and cannot be read back."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ISSUED_EXAMPLE]})

    password: str
    topic_prefix: str
    topics: list[str]


@router.post(
    "/sites/{site_id}/agents",
    summary="Issue an agent's MQTT credential",
    status_code=status.HTTP_201_CREATED,
    response_model=AgentIssued,
    responses={201: {"content": {"application/json": {"example": _ISSUED_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: "no such site",
                                  409: "the site code cannot be an MQTT topic level", 422: _BAD_SITE})},
)  # fmt: skip
def issue_agent(site_id: int, request: Request, conn: Connection, person: CurrentPerson, now: Now) -> dict[str, Any]:
    """A username and password for one edge agent at the site; it may publish the site's telemetry and status
    topics (``topics``, under ``topic_prefix``) and nothing else."""
    _check(conn, person, site_id)
    issued = aq.issue_agent(conn, site_id, created_by=person.user_id, now=now)
    if not aq.topic_safe(issued["site_code"]):
        conn.rollback()
        raise Conflict("the site code cannot be an MQTT topic level (letters, digits, '.', '_', '-')")
    conn.commit()
    prefix: str = request.app.state.topic_prefix
    topics = aq.site_topics(prefix, issued["site_code"])
    return {**issued, "topic_prefix": f"{prefix}/v1/{issued['site_code']}", "topics": topics}


@router.delete(
    "/agents/{agent_id}",
    summary="Revoke an agent's MQTT credential",
    response_model=AgentPublic,
    responses={200: {"content": {"application/json": {"example": _REVOKED_EXAMPLE}}},
               **error_responses({**AUTH_ERRORS, 403: _REFUSED, 404: "no such agent",
                                  409: "the agent's credential is already revoked", 422: _BAD_AGENT})},
)  # fmt: skip
def revoke_agent(agent_id: int, conn: Connection, person: CurrentPerson, now: Now) -> dict[str, Any]:
    """The credential stops working once the broker's files are rewritten; the row is kept."""
    found = aq.agent(conn, agent_id)
    if found is None:
        raise NotFound("no such agent")
    _check(conn, person, found["site_id"], missing="no such agent")
    if not aq.revoke_agent(conn, agent_id, now=now):
        raise Conflict("the agent's credential is already revoked")
    conn.commit()
    revoked = aq.agent(conn, agent_id)
    assert revoked is not None
    return revoked


def _check(conn: psycopg.Connection, person: Person, site_id: int, missing: str = "no such site") -> None:
    if site_id not in visible_site_ids(conn, person):
        raise NotFound(missing)
    scope = scope_of_site(conn, site_id)
    if not (manages(person, scope) or any(g.role == "admin" and covers(g, scope) for g in person.grants)):
        raise Forbidden(_REFUSED)
