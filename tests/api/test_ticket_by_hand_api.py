"""POST /api/v1/tickets: the unit's manager records a leak found without an alert (an inspection, a contractor's
visit) and the repair ticket opens for the site's contractor (REGULATION.md (d1)); its date is day 0 of the 60
days of (d2) case 2. Nobody else may; nothing half-done is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import SITE_A, World
from tests.api.resource_helpers import contractor_id, make_unit

NOW = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 01:00 on 1 April in Japan, still 31 March in UTC
TODAY = date(2026, 4, 1)


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


def _open(client: TestClient, world: World, who: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/tickets", json=body, headers=world[who].auth)


def _leak_cases(world: World, unit: int) -> list[tuple[int, date]]:
    with psycopg.connect(world.url) as conn:
        rows = conn.execute("SELECT circuit_no, confirmed_on FROM leak_case WHERE equipment_id = %s", (unit,))
        return [(int(c), d) for c, d in rows.fetchall()]


@pytest.mark.parametrize("who", ["manager_site", "manager_branch"])
def test_the_units_manager_opens_a_ticket_for_a_leak_found_in_an_inspection(
    client: TestClient, world: World, who: str
) -> None:
    unit = make_unit(world, SITE_A)
    response = _open(client, world, who, {"equipment_id": unit, "circuit_no": 2, "leak_confirmed_on": "2026-03-28"})
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert (ticket["equipment_id"], ticket["circuit_no"], ticket["status"]) == (unit, 2, "open")
    assert (ticket["leak_confirmed_on"], ticket["repair_deadline"]) == ("2026-03-28", "2026-05-27")  # (d2) + 60 days
    assert ticket["contractor_id"] == contractor_id(world)
    assert [(t["to_status"], t["actor"]) for t in ticket["transitions"]] == [("open", who)]
    assert _leak_cases(world, unit) == [(2, date(2026, 3, 28))]
    queue = client.get("/api/v1/tickets", headers=world["contractor"].auth).json()
    assert ticket["id"] in [t["id"] for t in queue]


def test_the_day_of_confirmation_defaults_to_today_in_japan(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A)
    ticket = _open(client, world, "manager_site", {"equipment_id": unit}).json()
    assert (ticket["circuit_no"], ticket["leak_confirmed_on"]) == (1, TODAY.isoformat())


@pytest.mark.parametrize("who", ["delegate", "viewer", "contractor", "admin"])
def test_nobody_but_the_manager_opens_one_and_nothing_is_stored(client: TestClient, world: World, who: str) -> None:
    unit = make_unit(world, SITE_A)
    response = _open(client, world, who, {"equipment_id": unit})
    assert response.status_code == 403
    assert "only the unit's manager opens a repair ticket by hand" in response.json()["error"]["message"]
    assert _leak_cases(world, unit) == []


@pytest.mark.parametrize("who", ["manager_other", "outsider"])
def test_a_unit_the_caller_may_not_see_is_not_found(client: TestClient, world: World, who: str) -> None:
    unit = make_unit(world, SITE_A)
    assert _open(client, world, who, {"equipment_id": unit}).status_code == 404
    assert _leak_cases(world, unit) == []


def test_one_leak_one_repair(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A)
    first = _open(client, world, "manager_site", {"equipment_id": unit, "leak_confirmed_on": "2026-03-20"}).json()
    again = _open(client, world, "manager_site", {"equipment_id": unit, "leak_confirmed_on": "2026-03-30"})
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        f"the leak is confirmed already (leak case {first['leak_case_id']}): ticket {first['id']} is in progress"
    )
    assert _leak_cases(world, unit) == [(1, date(2026, 3, 20))]  # the 60 days still run from the first day


def test_a_leak_is_not_confirmed_in_the_future(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A)
    response = _open(client, world, "manager_site", {"equipment_id": unit, "leak_confirmed_on": "2026-04-02"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["field"], error["message"]) == (
        "leak_confirmed_on",
        "leak_confirmed_on: a leak is not confirmed in the future",
    )
    assert _leak_cases(world, unit) == []


def test_a_circuit_the_unit_does_not_have_is_named(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A)
    response = _open(client, world, "manager_site", {"equipment_id": unit, "circuit_no": 3})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "circuit_no"
    assert _leak_cases(world, unit) == []


def test_a_contractor_not_serving_the_site_is_refused_and_nothing_is_stored(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A)
    response = _open(client, world, "manager_site", {"equipment_id": unit, "contractor_id": 999_999})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "contractor 999999 is not registered to serve the unit's site"
    assert _leak_cases(world, unit) == []  # the leak case was rolled back with the ticket
