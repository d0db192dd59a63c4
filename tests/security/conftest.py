"""The security checks' world: the API's personas (tests/api/conftest.py) in a database of their own, an app on
it, and one real record of each kind an API path names by id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from compliance.logbook_service import record_manual
from storage.db import open_pool
from tests.api.conftest import SITE_A, World, world_in
from tests.api.resource_helpers import contractor_id, leak_with_ticket, make_unit


def example_body(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    """The operation's JSON body as its schema's first example, or None when it takes no JSON body."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return None
    reference = body.get("schema", {}).get("$ref", "")
    schema = spec["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {})
    return (schema.get("examples") or [{}])[0]


@pytest.fixture(scope="session")
def security_world(new_migrated_database: Callable[[str], str]) -> World:
    return world_in(new_migrated_database("security"))


@pytest.fixture(scope="session")
def security_pool(security_world: World) -> Iterator[ConnectionPool]:
    with open_pool(security_world.url, max_size=4) as opened:
        yield opened


@pytest.fixture(scope="session")
def security_client(security_pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(security_pool))


@pytest.fixture(scope="session")
def records(security_world: World, security_client: TestClient) -> dict[str, int]:
    """A real id for every ``{name}`` of the API's paths, all records of the company at store A."""
    world = security_world
    unit = make_unit(world, SITE_A, installed_on=date(2024, 4, 1))
    _, ticket = leak_with_ticket(world, unit, date(2026, 1, 10), contractor_id(world))
    manager = world["manager_site"]
    with psycopg.connect(world.url) as conn:
        details = {"inspector": "山田", "method": "simple", "content": "目視", "result": "異常なし"}
        entry = record_manual(conn, unit, "inspection", date(2026, 1, 5), details, "山田",
                              datetime(2026, 1, 5, tzinfo=UTC))  # fmt: skip
        (alert,) = conn.execute(
            """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at,
                   message, evidence, detector)
               VALUES (%s, 1, 'leak', 'high', 'raised', now(), now(), 'circuit 1 is losing refrigerant',
                   '["subcooling_k low"]', 'test') RETURNING id""",
            (unit,),
        ).fetchone() or (0,)
        (role,) = conn.execute("SELECT id FROM role_assignment WHERE user_id = %s", (manager.user_id,)).fetchone() or (
            0,
        )
        (delegate,) = conn.execute(
            "SELECT id FROM alert_delegate WHERE manager_user_id = %s LIMIT 1", (manager.user_id,)
        ).fetchone() or (0,)
    spec = security_client.app.openapi()  # type: ignore[attr-defined]
    channel = security_client.post(
        "/api/v1/channels", json=example_body(spec, spec["paths"]["/api/v1/channels"]["post"]), headers=manager.auth
    )
    agent = security_client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world["admin"].auth)
    assert (channel.status_code, agent.status_code) == (201, 201), (channel.text, agent.text)
    return {
        "equipment_id": unit, "alert_id": int(alert), "ticket_id": ticket, "site_id": world.sites[SITE_A],
        "entry_id": entry, "channel_id": channel.json()["id"], "delegate_id": int(delegate),
        "user_id": manager.user_id, "role_id": int(role), "agent_id": agent.json()["id"],
    }  # fmt: skip
