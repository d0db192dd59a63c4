"""/api/v1/equipment: each persona sees exactly the units of its sites (the outsider none of the company's), with a
status colour whose reasons follow compliance.unit_status, and one unit in detail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import SITE_A, SITE_B, World
from tests.api.resource_helpers import PERSONAS, SEES_A, SEES_B, contractor_id, leak_with_ticket, make_unit

NOW = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)  # 2026-03-31 in Japan


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


@pytest.fixture(scope="module")
def units(world: World) -> dict[str, int]:
    return {SITE_A: make_unit(world, SITE_A), SITE_B: make_unit(world, SITE_B)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_exactly_the_units_of_its_sites(
    client: TestClient, world: World, units: dict[str, int], persona: str
) -> None:
    listed = client.get("/api/v1/equipment", headers=world[persona].auth)
    assert listed.status_code == 200
    ids = {u["id"] for u in listed.json()}
    for site, seers in ((SITE_A, SEES_A), (SITE_B, SEES_B)):
        assert (units[site] in ids) == (persona in seers), (persona, site)
        detail = client.get(f"/api/v1/equipment/{units[site]}", headers=world[persona].auth)
        assert detail.status_code == (200 if persona in seers else 404), (persona, site)
    if persona == "outsider":
        assert {u["site_id"] for u in listed.json()} <= {world.sites["API-C"]}


def test_the_site_filter_and_an_unseen_site(client: TestClient, world: World, units: dict[str, int]) -> None:
    auth = world["manager_branch"].auth
    only_b = client.get("/api/v1/equipment", params={"site_id": world.sites[SITE_B]}, headers=auth).json()
    assert {u["site_id"] for u in only_b} == {world.sites[SITE_B]} and units[SITE_B] in [u["id"] for u in only_b]
    unseen = client.get("/api/v1/equipment", params={"site_id": world.sites[SITE_B]}, headers=world["viewer"].auth)
    assert unseen.json() == []


def test_a_unit_never_inspected_and_without_installation_date_is_red(
    client: TestClient, world: World, units: dict[str, int]
) -> None:
    unit = client.get(f"/api/v1/equipment/{units[SITE_A]}", headers=world["viewer"].auth).json()
    assert unit["status"]["colour"] == "red"
    assert "simple inspection overdue: no inspection and no installation date on record" in unit["status"]["reasons"]


def test_detail_has_circuits_tickets_leaks_and_next_inspections(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A, installed_on=date(2026, 1, 15), compressors_kw=("5.5", "2.0"))
    green = client.get(f"/api/v1/equipment/{unit}", headers=world["manager_site"].auth).json()
    assert green["status"] == {"colour": "amber", "reasons": ["simple inspection due by 2026-04-30"]}
    assert [c["rated_output_kw"] for c in green["circuits"]] == ["7.500", "3.700"]
    assert green["legal_category"] == "refrigeration" and green["periodic_unknown"] is False
    simple = next(i for i in green["inspections"] if i["kind"] == "simple")
    assert (simple["due_on"], simple["colour"], simple["status"]) == ("2026-04-30", "green", "due_soon")
    _, ticket = leak_with_ticket(world, unit, date(2026, 3, 20), contractor_id(world))
    red = client.get(f"/api/v1/equipment/{unit}", headers=world["manager_site"].auth).json()
    assert red["status"]["colour"] == "red" and red["open_leak_cases"] == 1 and red["open_tickets"] == 1
    assert red["status"]["reasons"][0] == "1 confirmed leak(s) not yet repaired and verified"
    assert [t["id"] for t in red["tickets"]] == [ticket]


def test_a_disposed_unit_is_grey(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A, installed_on=date(2020, 1, 1))
    with psycopg.connect(world.url) as conn:
        conn.execute("UPDATE equipment SET disposed_on = '2026-02-01' WHERE id = %s", (unit,))
    got = client.get(f"/api/v1/equipment/{unit}", headers=world["manager_site"].auth).json()
    assert got["status"] == {"colour": "grey", "reasons": ["disposed of on 2026-02-01"]}
    assert got["inspections"] == []


def test_an_unknown_unit_is_404_in_the_one_error_shape(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/equipment/999999999", headers=world["admin"].auth)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no such unit, or not one you may see"}}
