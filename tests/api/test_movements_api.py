"""/api/v1/equipment/{id}/movements, /charges, /recoveries: the recharge rule (REGULATION.md (d2)) enforced: the
single emergency charge for a leak is accepted, a second one refused with the rule's explanation (409) and the
refusal recorded; who may record, and who only reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import SITE_A, SITE_B, World
from tests.api.resource_helpers import PERSONAS, SEES_A, contractor_id, leak_with_ticket, make_unit, other_contractor

NOW = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)  # 2026-03-31 in Japan
QUALIFIED = {"name": "山田 太郎", "qualification_no": "冷媒-12345"}
_certificates = iter(range(1, 10_000))


def _charge(**changes: Any) -> dict[str, Any]:
    return {"circuit_no": 1, "refrigerant": "R404A", "amount_kg": "2.5", "certificate_no": f"MV-{next(_certificates)}",
            "qualified_person": QUALIFIED, **changes}  # fmt: skip


EMERGENCY = {"emergency": "goods", "planned_repair_on": "2026-04-30"}


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


@pytest.fixture
def leaking(world: World) -> int:
    """A unit at store A with a leak confirmed on 2026-03-20 on circuit 1 (repair by 2026-05-19)."""
    unit = make_unit(world, SITE_A)
    leak_with_ticket(world, unit, date(2026, 3, 20), contractor_id(world))
    return unit


def test_one_emergency_charge_then_the_second_is_refused_with_the_rule_and_recorded(
    client: TestClient, world: World, leaking: int
) -> None:
    url, auth = f"/api/v1/equipment/{leaking}/charges", world["contractor"].auth
    first = client.post(url, json=_charge(**EMERGENCY), headers=auth)
    assert first.status_code == 201, first.text
    assert (first.json()["emergency"], first.json()["amount_kg"]) == ("goods", "2.500")
    assert first.json()["leak_case_id"] is not None and first.json()["contractor_id"] == contractor_id(world)
    second = client.post(url, json=_charge(**EMERGENCY), headers=auth)
    assert second.status_code == 409
    message = second.json()["error"]["message"]
    assert "allowed once only" in message and message.endswith("(REGULATION.md (d2) case 2)")
    listed = client.get(f"/api/v1/equipment/{leaking}/movements", headers=world["manager_site"].auth).json()
    assert [m["id"] for m in listed["certificates"]] == [first.json()["id"]]
    assert [(r["rule"], r["actor"]) for r in listed["refusals"]] == [("REGULATION.md (d2) case 2", "contractor")]
    assert "allowed once only" in listed["refusals"][0]["message"]


def test_an_undeclared_charge_into_a_leaking_unit_is_refused_and_recorded(
    client: TestClient, world: World, leaking: int
) -> None:
    refused = client.post(f"/api/v1/equipment/{leaking}/charges", json=_charge(), headers=world["contractor"].auth)
    assert refused.status_code == 409
    assert "(REGULATION.md (d1), (d2))" in refused.json()["error"]["message"]
    with psycopg.connect(world.url) as conn:
        assert conn.execute("SELECT count(*) FROM charge_refusal WHERE equipment_id = %s", (leaking,)).fetchone() == (
            1,
        )
        assert conn.execute("SELECT count(*) FROM refrigerant_movement WHERE equipment_id = %s",
                            (leaking,)).fetchone() == (0,)  # fmt: skip


def test_the_contractor_is_refused_on_another_companys_unit(client: TestClient, world: World) -> None:
    other = other_contractor(world, SITE_B)
    unit_b = make_unit(world, SITE_B)
    response = client.post(f"/api/v1/equipment/{unit_b}/charges", json=_charge(), headers=world["contractor"].auth)
    assert response.status_code == 404  # a unit of a site its contractor does not serve is not disclosed
    unit_a = make_unit(world, SITE_A)
    named = client.post(f"/api/v1/equipment/{unit_a}/charges", json=_charge(contractor_id=other),
                        headers=world["contractor"].auth)  # fmt: skip
    assert named.status_code == 403 and "not registered to serve" in named.json()["error"]["message"]
    assert client.get(f"/api/v1/equipment/{unit_a}/movements", headers=world["contractor"].auth).json() == {
        "certificates": [], "refusals": []
    }  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_records_who_reads_and_who_sees_nothing(client: TestClient, world: World, persona: str) -> None:
    unit = make_unit(world, SITE_A)
    listed = client.get(f"/api/v1/equipment/{unit}/movements", headers=world[persona].auth)
    assert listed.status_code == (200 if persona in SEES_A else 404)
    recorded = client.post(f"/api/v1/equipment/{unit}/charges", json=_charge(), headers=world[persona].auth)
    writers = {"contractor", "manager_site", "manager_branch"}  # the site's contractor, the unit's managers
    expected = 201 if persona in writers else 403 if persona in SEES_A else 404
    assert recorded.status_code == expected, (persona, recorded.text)
    if expected == 201:
        assert recorded.json()["contractor_id"] == contractor_id(world)  # a paper certificate of the site's one
        assert recorded.json()["recorded_by_user_id"] == world[persona].user_id


def test_recoveries_check_the_refrigerant_and_certificate_numbers(client: TestClient, world: World) -> None:
    unit = make_unit(world, SITE_A)
    url, auth = f"/api/v1/equipment/{unit}/recoveries", world["contractor"].auth
    body = {**_charge(amount_kg="6.0"), "recovered_on": "2026-03-30"}
    done = client.post(url, json=body, headers=auth)
    assert done.status_code == 201 and done.json()["kind"] == "recovery"
    assert done.json()["work_date"] == "2026-03-30"
    again = client.post(url, json=body, headers=auth)
    assert again.status_code == 409 and "recorded already" in again.json()["error"]["message"]
    wrong = client.post(url, json={**_charge(refrigerant="R410A"), "recovered_on": "2026-03-30"}, headers=auth)
    assert wrong.status_code == 422 and "not the refrigerant of the unit" in wrong.json()["error"]["message"]
    no_circuit = client.post(url, json={**_charge(circuit_no=9)}, headers=auth)
    assert no_circuit.status_code == 422 and no_circuit.json()["error"]["field"] == "circuit_no"
