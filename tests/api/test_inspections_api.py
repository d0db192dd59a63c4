"""/api/v1/inspections/due: the inspections due in a period for the units the caller sees, with the colours of
compliance.schedule, as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import SITE_A, SITE_B, World
from tests.api.resource_helpers import PERSONAS, SEES_A, SEES_B, make_unit

NOW = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)  # 2026-03-31 in Japan
PERIOD = {"from": "2026-04-01", "to": "2026-06-30"}


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


@pytest.fixture(scope="module")
def units(world: World) -> dict[str, int]:
    """Installed on 15 January 2026: the simple inspection is due by 30 April 2026 (REGULATION.md (b1))."""
    return {site: make_unit(world, site, installed_on=date(2026, 1, 15)) for site in (SITE_A, SITE_B)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_the_inspections_of_its_units_only(
    client: TestClient, world: World, units: dict[str, int], persona: str
) -> None:
    response = client.get("/api/v1/inspections/due", params=PERIOD, headers=world[persona].auth)
    assert response.status_code == 200
    listed = {item["equipment_id"] for item in response.json()}
    assert (units[SITE_A] in listed) == (persona in SEES_A)
    assert (units[SITE_B] in listed) == (persona in SEES_B)
    if persona == "outsider":
        assert response.json() == []


def test_dates_and_colours_follow_the_schedule_and_the_lead_time(
    client: TestClient, world: World, units: dict[str, int]
) -> None:
    auth = world["manager_site"].auth
    items = [i for i in client.get("/api/v1/inspections/due", params=PERIOD, headers=auth).json()
             if i["equipment_id"] == units[SITE_A]]  # fmt: skip
    assert [(i["kind"], i["due_on"], i["status"], i["colour"]) for i in items] == [
        ("simple", "2026-04-30", "due_soon", "green")  # 30 days of lead time by default
    ]
    short = client.get("/api/v1/inspections/due", params={**PERIOD, "lead_days": 7}, headers=auth).json()
    mine = [i for i in short if i["equipment_id"] == units[SITE_A]]
    assert [(i["status"], i["colour"]) for i in mine] == [("not_due", "black")]
    outside = client.get("/api/v1/inspections/due", params={"from": "2026-05-01", "to": "2026-06-30"}, headers=auth)
    assert units[SITE_A] not in [i["equipment_id"] for i in outside.json()]


def test_the_due_list_as_csv_and_xlsx(client: TestClient, world: World, units: dict[str, int]) -> None:
    auth = world["manager_other"].auth
    as_csv = client.get("/api/v1/inspections/due", params={**PERIOD, "format": "csv"}, headers=auth)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    assert as_csv.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert rows[0] == ["事業所コード", "管理番号", "点検の種類", "期限", "状態", "再稼働前に実施"]
    assert [SITE_B, "簡易点検", "2026-04-30", "期限間近"] in [[r[0], *r[2:5]] for r in rows[1:]]
    assert {r[0] for r in rows[1:]} == {SITE_B}
    as_xlsx = client.get("/api/v1/inspections/due", params={**PERIOD, "format": "xlsx"}, headers=auth)
    assert as_xlsx.status_code == 200 and "spreadsheetml" in as_xlsx.headers["content-type"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "事業所コード" and len(values) == len(rows)


def test_bad_parameters_are_refused_naming_the_field(client: TestClient, world: World) -> None:
    auth = world["admin"].auth
    bad_format = client.get("/api/v1/inspections/due", params={"format": "pdf"}, headers=auth)
    assert bad_format.status_code == 422 and bad_format.json()["error"]["field"] == "format"
    reversed_range = client.get("/api/v1/inspections/due", params={"from": "2026-05-01", "to": "2026-04-01"},
                                headers=auth)  # fmt: skip
    assert reversed_range.status_code == 422 and reversed_range.json()["error"]["field"] == "to"
