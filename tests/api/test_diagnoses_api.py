"""/api/v1/equipment/{id}/diagnoses: the daily diagnosis rows per circuit, for whoever may see the unit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import SITE_A, World
from tests.api.resource_helpers import PERSONAS, SEES_A, make_unit

NOW = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


@pytest.fixture(scope="module")
def unit(world: World) -> int:
    unit = make_unit(world, SITE_A)
    with psycopg.connect(world.url) as conn:
        for day, circuit, status in [
            (date(2026, 3, 1), 1, "no_leak"),
            (date(2026, 3, 1), 2, "no_leak"),
            (date(2026, 3, 30), 1, "leak_suspected"),
            (date(2025, 12, 1), 1, "no_leak"),
        ]:
            conn.execute(
                """INSERT INTO diagnosis (equipment_id, circuit_no, day, status, hours_measured,
                       estimated_charge_loss_pct, categories) VALUES (%s, %s, %s, %s, 24, 1.5, %s)""",
                (unit, circuit, day, status, ["leak"] if status == "leak_suspected" else []),
            )  # fmt: skip
    return unit


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_the_diagnoses_of_the_units_it_sees(
    client: TestClient, world: World, unit: int, persona: str
) -> None:
    response = client.get(f"/api/v1/equipment/{unit}/diagnoses", headers=world[persona].auth)
    if persona not in SEES_A:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    # The default range: the 30 days up to today in Japan (2026-03-02 .. 2026-03-31).
    assert [(d["day"], d["circuit_no"], d["status"]) for d in response.json()] == [("2026-03-30", 1, "leak_suspected")]


def test_a_range_gives_rows_by_day_then_circuit(client: TestClient, world: World, unit: int) -> None:
    response = client.get(f"/api/v1/equipment/{unit}/diagnoses", params={"from": "2026-03-01", "to": "2026-03-31"},
                          headers=world["contractor"].auth)  # fmt: skip
    rows = response.json()
    assert [(d["day"], d["circuit_no"]) for d in rows] == [("2026-03-01", 1), ("2026-03-01", 2), ("2026-03-30", 1)]
    assert rows[2]["categories"] == ["leak"] and rows[2]["hours_measured"] == 24


def test_a_reversed_range_is_refused_naming_the_field(client: TestClient, world: World, unit: int) -> None:
    response = client.get(f"/api/v1/equipment/{unit}/diagnoses", params={"from": "2026-03-31", "to": "2026-03-01"},
                          headers=world["viewer"].auth)  # fmt: skip
    assert response.status_code == 422 and response.json()["error"]["field"] == "to"
