"""The outsider (a manager at another company) walks every operation of the API against the company's own records,
with the bodies the schema gives as examples: nothing it gets back names the company, its sites or its units, and
no write on one of the company's records is accepted."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from compliance.logbook_service import record_manual
from tests.api.conftest import COMPANY, SITE_A, SITE_B, NewAlert, World
from tests.api.resource_helpers import contractor_id, leak_with_ticket, make_unit

# Requests whose answer is about the outsider itself, not the company (its own session, its own user).
OWN = {("GET", "/api/v1/session"), ("POST", "/api/v1/session"), ("DELETE", "/api/v1/session"),
       ("GET", "/api/v1/users/me")}  # fmt: skip


def _example(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return None
    reference = body.get("schema", {}).get("$ref", "")
    schema = spec["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {})
    return (schema.get("examples") or [{}])[0]


@pytest.fixture
def company_records(world: World, new_alert: NewAlert, client: TestClient) -> dict[str, int]:
    """One of each record of the company the operations take an id of."""
    unit = make_unit(world, SITE_A, installed_on=date(2024, 4, 1))
    _, ticket = leak_with_ticket(world, unit, date(2026, 1, 10), contractor_id(world))
    with psycopg.connect(world.url) as conn:
        details = {"inspector": "山田", "method": "simple", "content": "目視", "result": "異常なし"}
        entry = record_manual(
            conn, unit, "inspection", date(2026, 1, 5), details, "山田", datetime(2026, 1, 5, tzinfo=UTC)
        )
        manager_id = world["manager_site"].user_id
        (role_id,) = conn.execute("SELECT id FROM role_assignment WHERE user_id = %s", (manager_id,)).fetchone() or (0,)
        (delegate_id,) = conn.execute(  # tests/api/conftest.py: manager_site named the delegate persona
            "SELECT id FROM alert_delegate WHERE manager_user_id = %s LIMIT 1", (manager_id,)
        ).fetchone() or (0,)
    manager = world["manager_site"].auth
    channel = client.post("/api/v1/channels", json=_example(client.app.openapi(), _op(client, "post",  # type: ignore[attr-defined]
                          "/api/v1/channels")), headers=manager)  # fmt: skip
    agent = client.post(f"/api/v1/sites/{world.sites[SITE_A]}/agents", headers=world["admin"].auth)
    assert (channel.status_code, agent.status_code) == (201, 201), (channel.text, agent.text)
    return {
        "equipment_id": unit, "alert_id": new_alert(), "ticket_id": ticket, "site_id": world.sites[SITE_A],
        "entry_id": entry, "channel_id": channel.json()["id"], "delegate_id": int(delegate_id),
        "user_id": world["manager_site"].user_id, "role_id": int(role_id), "agent_id": agent.json()["id"],
    }  # fmt: skip


def _op(client: TestClient, method: str, path: str) -> dict[str, Any]:
    return client.app.openapi()["paths"][path][method]  # type: ignore[attr-defined,no-any-return]


def _company_names(world: World) -> list[str]:
    with psycopg.connect(world.url) as conn:
        rows = conn.execute(
            """SELECT s.site_code, s.name, e.management_no FROM site s LEFT JOIN equipment e ON e.site_id = s.id
               WHERE s.id = ANY(%s)""",
            ([world.sites[SITE_A], world.sites[SITE_B]],),
        ).fetchall()
    return sorted({COMPANY, *(str(v) for row in rows for v in row if v)})


def test_the_outsider_gets_nothing_of_the_company_from_any_operation(
    client: TestClient, world: World, company_records: dict[str, int]
) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    outsider = world["outsider"].auth
    names = _company_names(world)
    walked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            if (method.upper(), path) in OWN:
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: str(company_records.get(m.group(1), "sites")), path)
            params: dict[str, str | int] = {"fiscal_year": 2025, "company": COMPANY, "format": "json"}
            response = client.request(method.upper(), url, params=params, json=_example(spec, operation),
                                      headers=outsider)  # fmt: skip
            walked += 1
            if response.status_code < 300:
                leaked = [name for name in names if name in response.text]
                assert leaked == [], (method, path, leaked, response.text[:300])
                # A write in its own company's scope is its right; one on a record of the company is not.
                assert method == "get" or "{" not in path, (method, path, "a write on the company's record")
            else:
                assert response.status_code in (403, 404, 422), (
                    method,
                    path,
                    response.status_code,
                    response.text[:200],
                )
    assert walked > 40
