"""/api/v1/organisations and /api/v1/sites: each persona sees exactly its part of the tree and its sites, the
outsider nothing of the company's; a site's colour is the worst of its units."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import BRANCH, COMPANY, OTHER_COMPANY, SITE_A, SITE_B, SITE_C, World
from tests.api.resource_helpers import PERSONAS, SEES_A, SEES_B, make_unit

NOW = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


def _expected_sites(persona: str) -> set[str]:
    if persona == "outsider":
        return {SITE_C}
    return {code for code, seers in ((SITE_A, SEES_A), (SITE_B, SEES_B)) if persona in seers}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_exactly_its_sites(client: TestClient, world: World, persona: str) -> None:
    response = client.get("/api/v1/sites", headers=world[persona].auth)
    assert response.status_code == 200
    ours = {SITE_A, SITE_B, SITE_C}
    assert {s["site_code"] for s in response.json()} & ours == _expected_sites(persona)
    for code in ours:
        one = client.get(f"/api/v1/sites/{world.sites[code]}", headers=world[persona].auth)
        assert one.status_code == (200 if code in _expected_sites(persona) else 404), (persona, code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_its_part_of_the_organisation_tree(client: TestClient, world: World, persona: str) -> None:
    response = client.get("/api/v1/organisations", headers=world[persona].auth)
    assert response.status_code == 200
    names = {o["name"] for o in response.json()}
    if persona == "outsider":
        assert names & {COMPANY, BRANCH} == set() and OTHER_COMPANY in names
    else:
        assert {COMPANY, BRANCH} <= names and OTHER_COMPANY not in names
    branch = next((o for o in response.json() if o["name"] == BRANCH), None)
    if branch is not None:
        assert branch["parent_id"] == world.company_id and branch["depth"] == 1
        expected = len(_expected_sites(persona) - {SITE_C})
        # Other modules may import more sites under the branch: its managers and admins see those too.
        assert (
            branch["sites"] == expected if persona not in {"manager_branch", "admin"} else branch["sites"] >= expected
        )


def test_a_site_is_as_red_as_its_worst_unit_and_lists_its_units(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_B, installed_on=date(2026, 3, 1))
    site = client.get(f"/api/v1/sites/{world.sites[SITE_B]}", headers=world["manager_other"].auth).json()
    assert unit in [u["id"] for u in site["equipment"]]
    assert site["colour"] in {"red", "amber", "green"}
    with psycopg.connect(world.url) as conn:
        conn.execute(
            """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at,
                   message, evidence, detector)
               VALUES (%s, 1, 'leak', 'high', 'raised', now(), now(), 'losing refrigerant', '[]', 'test')""",
            (unit,),
        )
    site = client.get(f"/api/v1/sites/{world.sites[SITE_B]}", headers=world["manager_other"].auth).json()
    assert site["colour"] == "red" and site["units_by_colour"]["red"] >= 1
    mine = next(u for u in site["equipment"] if u["id"] == unit)
    assert mine["status"] == {"colour": "red", "reasons": ["1 open leak alert(s)"]}
    listed = client.get("/api/v1/sites", headers=world["manager_other"].auth).json()
    assert next(s for s in listed if s["site_code"] == SITE_B)["colour"] == "red"


def test_the_serving_contractor_is_shown_on_the_site(client: TestClient, world: World) -> None:
    site = client.get(f"/api/v1/sites/{world.sites[SITE_A]}", headers=world["manager_site"].auth).json()
    assert "Reito Service" in [c["name"] for c in site["contractors"]]
    assert site["organisation_path"] == [COMPANY, BRANCH]
