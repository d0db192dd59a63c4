"""/api/v1/leakage/live and /api/v1/reports/{leakage|kyoto}: who sees which figures, and the files being the
ones `fluorowatch report` writes. A company of its own in the API's database (other tests add units and
certificates to theirs): two stores in Kyoto under a branch, a unit at each, the app's clock in January 2026."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from psycopg_pool import ConnectionPool

from api.app import create_app
from fluorowatch.domain.organisation import Contractor, OrgPath
from storage.registry import assign_contractor, save_contractor, save_org_path
from storage.token_queries import grant_role, issue_token, save_user
from tests.api.conftest import COMPANY, World
from tests.compliance.leakage_db import certificate, charged_unit, site
from tests.conftest import RunCli

CO, STORE_A, STORE_B = "Leakage API Co", "LAPI-A", "LAPI-B"
NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)  # 12:00 in Japan: fiscal year 2025 so far


@dataclass(frozen=True)
class Reports:
    people: dict[str, dict[str, str]]  # name -> Authorization header
    units: dict[str, int]  # management number -> equipment id

    def __getitem__(self, name: str) -> dict[str, str]:
        return self.people[name]


def _auth(conn: psycopg.Connection, name: str, role: str, **scope: int) -> dict[str, str]:
    user_id = save_user(conn, f"{name}@example.jp", name)
    grant_role(conn, user_id, role, **scope)
    _, token = issue_token(conn, user_id, f"{name}'s dashboard")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def reports(world: World) -> Reports:
    """Store A: A-1, 10 kg of R404A charged in June (39.2 t-CO2) and 1 kg in February, after the clock's today;
    store B: B-1, 20 kg of R410A charged in July, 5 kg recovered in August (31.35 t-CO2)."""
    with psycopg.connect(world.url) as conn:
        store_a, store_b = site(conn, STORE_A, "26", f"{CO}/Kinki"), site(conn, STORE_B, "26", f"{CO}/Kinki")
        a1 = charged_unit(conn, store_a, "A-1", "R404A", "10", date(2025, 6, 1))
        certificate(conn, a1, "charge", "R404A", "1", date(2026, 2, 1))
        b1 = charged_unit(conn, store_b, "B-1", "R410A", "20", date(2025, 7, 1))
        certificate(conn, b1, "recovery", "R410A", "5", date(2025, 8, 1))
        company_id = save_org_path(conn, OrgPath.parse(CO))
        contractor_id = save_contractor(conn, Contractor("LAPI Service", "LAPI-0001", "26"))
        assign_contractor(conn, store_b, contractor_id)
        people = {
            "admin": _auth(conn, "lapi_admin", "admin", organisation_id=company_id),
            "viewer": _auth(conn, "lapi_viewer", "viewer", organisation_id=company_id),
            "manager_site": _auth(conn, "lapi_manager_a", "manager", site_id=store_a),
            "contractor": _auth(conn, "lapi_contractor", "contractor", contractor_id=contractor_id),
        }
    return Reports(people, {"A-1": a1, "B-1": b1})


@pytest.fixture(scope="module")
def api(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool, clock=lambda: NOW))


def live(api: TestClient, auth: dict[str, str], company: str | None = CO) -> tuple[int, dict[str, Any]]:
    response = api.get("/api/v1/leakage/live", params={"company": company} if company else {}, headers=auth)
    return response.status_code, response.json()


def test_a_person_of_the_whole_company_sees_every_unit_and_the_company_so_far(
    api: TestClient, reports: Reports
) -> None:
    status, body = live(api, reports["viewer"])
    assert status == 200, body
    assert body == {
        "fiscal_year": 2025, "as_of": "2026-01-15", "company": CO, "company_t_co2": "70.55",
        "specified_leaker_so_far": False,
        "by_unit": [
            {"equipment_id": reports.units["A-1"], "management_no": "A-1", "site_code": STORE_A, "t_co2": "39.2",
             "by_refrigerant": [{"refrigerant": "R404A", "charged_kg": "10", "recovered_kg": "0", "leaked_kg": "10",
                                 "t_co2": "39.2"}]},
            {"equipment_id": reports.units["B-1"], "management_no": "B-1", "site_code": STORE_B, "t_co2": "31.35",
             "by_refrigerant": [{"refrigerant": "R410A", "charged_kg": "20", "recovered_kg": "5", "leaked_kg": "15",
                                 "t_co2": "31.35"}]},
        ],
        "by_site": [{"site_code": STORE_A, "t_co2": "39.2"}, {"site_code": STORE_B, "t_co2": "31.35"}],
    }  # fmt: skip


def test_a_site_manager_sees_only_the_units_of_the_site_and_no_company_total(api: TestClient, reports: Reports) -> None:
    status, body = live(api, reports["manager_site"])
    assert status == 200, body
    assert (body["company_t_co2"], body["specified_leaker_so_far"]) == (None, None)
    assert [(u["management_no"], u["t_co2"]) for u in body["by_unit"]] == [("A-1", "39.2")]
    assert body["by_site"] == [{"site_code": STORE_A, "t_co2": "39.2"}]


def test_a_contractor_sees_the_units_of_the_sites_it_serves_and_no_company_total(
    api: TestClient, reports: Reports
) -> None:
    status, body = live(api, reports["contractor"])
    assert status == 200, body
    assert body["company_t_co2"] is None
    assert [u["management_no"] for u in body["by_unit"]] == ["B-1"]
    assert body["by_site"] == [{"site_code": STORE_B, "t_co2": "31.35"}]


def test_an_outsider_gets_404_for_the_company_as_for_one_that_does_not_exist(
    api: TestClient, reports: Reports, world: World
) -> None:
    status, body = live(api, world["outsider"].auth)
    assert (status, body["error"]) == (404, {"code": "not_found",
                                             "message": f"no company {CO!r}, or not one you may see"})  # fmt: skip
    assert live(api, reports["admin"], "Nobody Inc")[0] == 404
    # The API's own company's people see nothing of this one either.
    assert live(api, world["admin"].auth)[0] == 404
    assert live(api, world["manager_site"].auth)[0] == 404


def test_the_company_is_needed_when_there_are_several_and_only_visible_ones_are_named(
    api: TestClient, reports: Reports
) -> None:
    status, body = live(api, reports["manager_site"], None)
    assert status == 422
    assert body["error"] == {"code": "invalid", "field": "company",
                             "message": f"give the company: companies you may see are {CO}"}  # fmt: skip
    assert COMPANY not in body["error"]["message"]


def download(
    api: TestClient, report: str, auth: dict[str, str], fmt: str, fiscal_year: int | str = 2025
) -> tuple[int, bytes, dict[str, str]]:
    response = api.get(f"/api/v1/reports/{report}", params={"fiscal_year": fiscal_year, "company": CO,
                                                             "format": fmt}, headers=auth)  # fmt: skip
    return response.status_code, response.content, dict(response.headers)


def test_the_leakage_json_is_what_the_command_writes(
    api: TestClient, reports: Reports, world: World, cli_at: Callable[[str], RunCli]
) -> None:
    status, content, headers = download(api, "leakage", reports["admin"], "json")
    assert status == 200, content
    assert headers["content-type"] == "application/json"
    assert headers["content-disposition"] == (
        f"attachment; filename=\"leakage-{CO}-FY2025.json\"; filename*=UTF-8''leakage-Leakage%20API%20Co-FY2025.json"
    )
    document = json.loads(content)
    assert list(document) == ["fiscal_year", "company", "company_t_co2", "specified_leaker", "by_prefecture",
                              "by_site", "specified_sites", "by_unit", "by_organisation"]  # fmt: skip
    # The whole year: February's charge at store A counts too.
    assert (document["fiscal_year"], document["company_t_co2"]) == (2025, "74.47")
    code, out, err = cli_at(world.url)(
        "report", "leakage", "--fiscal-year", "2025", "--company", CO, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out) == document and out.encode() == content


def test_the_leakage_report_in_each_file_format(api: TestClient, reports: Reports) -> None:
    status, content, headers = download(api, "leakage", reports["viewer"], "csv")
    assert (status, headers["content-type"]) == (200, "text/csv; charset=utf-8")
    assert "R404A" in content.decode("utf-8")
    status, content, headers = download(api, "leakage", reports["viewer"], "pdf")
    assert (status, headers["content-type"], content[:4]) == (200, "application/pdf", b"%PDF")
    assert 'filename="leakage-Leakage API Co-FY2025.pdf"' in headers["content-disposition"]
    status, content, headers = download(api, "leakage", reports["admin"], "xlsx")
    assert status == 200
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames and any("A-1" in str(c.value) for ws in workbook for row in ws.iter_rows() for c in row)


def test_form_2_comes_with_the_json_or_the_pdf_only(api: TestClient, reports: Reports) -> None:
    query: dict[str, str | int] = {"fiscal_year": 2025, "company": CO, "form2": "true"}
    answer = api.get("/api/v1/reports/leakage", params={**query, "format": "json"}, headers=reports["viewer"])
    assert answer.status_code == 200 and "form2" in answer.json()
    plain = api.get("/api/v1/reports/leakage", params={**query, "format": "pdf", "form2": "false"},
                    headers=reports["viewer"])  # fmt: skip
    both = api.get("/api/v1/reports/leakage", params={**query, "format": "pdf"}, headers=reports["viewer"])
    assert len(pdfium.PdfDocument(both.content)) > len(pdfium.PdfDocument(plain.content))
    refused = api.get("/api/v1/reports/leakage", params={**query, "format": "csv"}, headers=reports["viewer"])
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "form2"


def test_the_kyoto_report_in_each_file_format(
    api: TestClient, reports: Reports, world: World, cli_at: Callable[[str], RunCli]
) -> None:
    status, content, headers = download(api, "kyoto", reports["admin"], "json")
    assert (status, headers["content-type"]) == (200, "application/json")
    code, out, err = cli_at(world.url)("report", "kyoto", "--fiscal-year", "2025", "--company", CO, "--format", "json")
    assert code == 0, err
    assert json.loads(content) == json.loads(out) and json.loads(content)["company"] == CO
    status, content, headers = download(api, "kyoto", reports["admin"], "csv")
    assert (status, headers["content-type"]) == (200, "text/csv; charset=utf-8")
    status, content, headers = download(api, "kyoto", reports["admin"], "pdf")
    assert (status, content[:4]) == (200, b"%PDF")
    assert "kyoto-Leakage%20API%20Co-FY2025.pdf" in headers["content-disposition"]
    assert download(api, "kyoto", reports["admin"], "xlsx")[0] == 422


@pytest.mark.parametrize("report", ["leakage", "kyoto"])
def test_only_a_person_of_the_whole_company_downloads_its_reports(
    api: TestClient, reports: Reports, world: World, report: str
) -> None:
    for person in ("manager_site", "contractor"):
        status, content, _ = download(api, report, reports[person], "json")
        assert status == 403, person
        assert json.loads(content)["error"]["code"] == "forbidden"
    assert download(api, report, world["outsider"].auth, "json")[0] == 404
    assert download(api, report, reports["viewer"], "json")[0] == 200


@pytest.mark.parametrize("fiscal_year", [2014, 2101, "last"])
def test_a_bad_fiscal_year_answers_422_naming_it(api: TestClient, reports: Reports, fiscal_year: int | str) -> None:
    status, content, _ = download(api, "leakage", reports["admin"], "json", fiscal_year)
    assert status == 422
    assert json.loads(content)["error"]["field"] == "fiscal_year"


def test_without_a_token_the_answer_is_401(api: TestClient) -> None:
    for path in ("/api/v1/leakage/live", "/api/v1/reports/leakage?fiscal_year=2025", "/api/v1/reports/kyoto"):
        response = api.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
