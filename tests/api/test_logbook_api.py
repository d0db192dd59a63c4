"""/api/v1/equipment/{id}/logbook: who reads and who writes a unit's logbook (REGULATION.md (e)), entries appended
and corrected but never edited in place, and the logbook handed out as CSV, XLSX, JSON and PDF."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.routers.logbook import _attachment
from tests.api.conftest import SITE_A, World
from tests.api.test_alerts_api import _walk_routes

NOW = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 2026-04-01 01:00 in Japan
CHARGE: dict[str, Any] = {"contractor": "冷熱サービス", "refrigerant": "R404A", "amount_kg": "2.5",
                          "occasion": "maintenance"}  # fmt: skip
INSPECTION: dict[str, Any] = {"inspector": "山田 花子", "method": "simple", "content": "外観・異音",
                              "result": "異常なし"}  # fmt: skip
WRITERS = ["manager_site", "manager_branch", "admin", "contractor"]
_units = itertools.count(1)

NewUnit = Callable[[], tuple[int, str]]


@pytest.fixture(scope="module")
def client(pool: ConnectionPool) -> TestClient:
    """The app with a fixed clock, so recorded_at and the PDF's print date are known."""
    return TestClient(create_app(pool, clock=lambda: NOW))


@pytest.fixture
def new_unit(world: World) -> NewUnit:
    """A fresh unit at store A with circuits 1 and 2 (logbook entries are never deleted): (id, management no)."""

    def make() -> tuple[int, str]:
        management_no = f"LB-{next(_units):03d}"
        with psycopg.connect(world.url) as conn:
            row = conn.execute(
                """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg)
                   VALUES (%s, %s, 'showcase_remote', 'R404A', %s) RETURNING id""",
                (world.sites[SITE_A], management_no, Decimal("8.0")),
            ).fetchone()
            assert row is not None
            conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1), (%s, 2)", (row[0], row[0]))
        return int(row[0]), management_no

    return make


@pytest.fixture
def unit(new_unit: NewUnit) -> int:
    return new_unit()[0]


def _path(unit: int, rest: str = "") -> str:
    return f"/api/v1/equipment/{unit}/logbook{rest}"


def _append(client: TestClient, world: World, unit: int, who: str = "manager_site", **body: Any) -> Any:
    payload = {"kind": "charge", "occurred_on": "2026-03-02", "circuit_no": 1, "details": CHARGE, **body}
    return client.post(_path(unit), json=payload, headers=world[who].auth)


@pytest.mark.parametrize("who", WRITERS)
def test_managers_admins_and_the_serving_contractor_append(
    client: TestClient, world: World, unit: int, who: str
) -> None:
    response = _append(client, world, unit, who)
    assert response.status_code == 201, response.text
    entry = response.json()
    assert {k: entry[k] for k in ("circuit_no", "kind", "item", "occurred_on", "recorded_by", "source")} == {
        "circuit_no": 1, "kind": "charge", "item": 7, "occurred_on": "2026-03-02", "recorded_by": who,
        "source": "manual",
    }  # fmt: skip
    assert datetime.fromisoformat(entry["recorded_at"]) == NOW
    assert entry["details"] == CHARGE
    assert (entry["corrects_id"], entry["superseded_by"]) == (None, None)
    listed = client.get(_path(unit), headers=world["viewer"].auth)
    assert listed.status_code == 200
    assert listed.json() == [entry]


def test_the_list_is_by_date_with_whole_unit_entries(client: TestClient, world: World, unit: int) -> None:
    later = _append(client, world, unit, occurred_on="2026-03-05").json()
    earlier = _append(client, world, unit, kind="inspection", occurred_on="2026-03-01", circuit_no=None,
                      details=INSPECTION).json()  # fmt: skip
    listed = client.get(_path(unit), headers=world["manager_site"].auth).json()
    assert [(e["id"], e["item"], e["circuit_no"]) for e in listed] == [(earlier["id"], 4, None), (later["id"], 7, 1)]


def test_a_viewer_reads_but_may_not_append(client: TestClient, world: World, unit: int) -> None:
    response = _append(client, world, unit, "viewer")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "viewer may not" in response.json()["error"]["message"]
    assert client.get(_path(unit), headers=world["viewer"].auth).json() == []


def test_a_delegate_sees_the_logbook_but_does_not_write_it(client: TestClient, world: World, unit: int) -> None:
    assert client.get(_path(unit), headers=world["delegate"].auth).status_code == 200
    assert _append(client, world, unit, "delegate").status_code == 403


@pytest.mark.parametrize("who", ["outsider", "manager_other"])
def test_people_elsewhere_do_not_learn_the_unit_exists(client: TestClient, world: World, unit: int, who: str) -> None:
    _append(client, world, unit)
    for response in (
        client.get(_path(unit), headers=world[who].auth),
        client.get(_path(unit, "/export?format=csv"), headers=world[who].auth),
        _append(client, world, unit, who),
        client.post(_path(unit, "/1/corrections"), json={"details": CHARGE, "reason": "x"}, headers=world[who].auth),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == {"code": "not_found", "message": "no such unit, or not one you may see"}
    missing = client.get(_path(10**9), headers=world["admin"].auth)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({k: v for k, v in CHARGE.items() if k != "amount_kg"}, "details.amount_kg"),
        ({**CHARGE, "amount_kg": 2.5}, "details.amount_kg"),
        ({**CHARGE, "occasion": "sometimes"}, "details.occasion"),
        ({**CHARGE, "contractor": "  "}, "details.contractor"),
    ],
)
def test_bad_details_are_refused_naming_the_field(
    client: TestClient, world: World, unit: int, details: dict[str, Any], field: str
) -> None:
    response = _append(client, world, unit, details=details)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == field
    assert client.get(_path(unit), headers=world["manager_site"].auth).json() == []


def test_a_circuit_the_unit_lacks_and_an_unknown_kind_are_refused(client: TestClient, world: World, unit: int) -> None:
    no_circuit = _append(client, world, unit, circuit_no=7)
    assert (no_circuit.status_code, no_circuit.json()["error"]["field"]) == (422, "circuit_no")
    bad_kind = _append(client, world, unit, kind="gossip")
    assert (bad_kind.status_code, bad_kind.json()["error"]["field"]) == (422, "kind")


def test_a_correction_is_a_new_entry_and_the_original_stays(client: TestClient, world: World, unit: int) -> None:
    original = _append(client, world, unit).json()
    response = client.post(
        _path(unit, f"/{original['id']}/corrections"),
        json={"details": {**CHARGE, "amount_kg": "3.5"}, "reason": "証明書の転記誤り"},
        headers=world["contractor"].auth,
    )
    assert response.status_code == 201, response.text
    fixed = response.json()
    assert (fixed["corrects_id"], fixed["kind"], fixed["circuit_no"], fixed["occurred_on"]) == (
        original["id"], "charge", 1, "2026-03-02",
    )  # fmt: skip
    assert fixed["details"] == {**CHARGE, "amount_kg": "3.5",
                                "correction": {"by": "contractor", "reason": "証明書の転記誤り"}}  # fmt: skip
    listed = client.get(_path(unit), headers=world["manager_site"].auth).json()
    assert [(e["id"], e["superseded_by"], e["details"]["amount_kg"]) for e in listed] == [
        (original["id"], fixed["id"], "2.5"), (fixed["id"], None, "3.5"),
    ]  # fmt: skip


def test_correcting_twice_conflicts_and_the_correction_is_corrected_instead(
    client: TestClient, world: World, unit: int
) -> None:
    original = _append(client, world, unit).json()["id"]
    body = {"details": CHARGE, "reason": "typo"}
    auth = world["manager_site"].auth
    first = client.post(_path(unit, f"/{original}/corrections"), json=body, headers=auth)
    assert first.status_code == 201
    again = client.post(_path(unit, f"/{original}/corrections"), json=body, headers=auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert f"corrected already by entry {first.json()['id']}" in again.json()["error"]["message"]
    second = client.post(_path(unit, f"/{first.json()['id']}/corrections"), json=body, headers=auth)
    assert second.status_code == 201


def test_corrections_are_refused_to_viewers_for_other_units_and_without_reason(
    client: TestClient, world: World, new_unit: NewUnit
) -> None:
    (unit, _), (other, _) = new_unit(), new_unit()
    entry = _append(client, world, unit).json()["id"]
    body = {"details": CHARGE, "reason": "typo"}
    viewer = client.post(_path(unit, f"/{entry}/corrections"), json=body, headers=world["viewer"].auth)
    assert viewer.status_code == 403
    elsewhere = client.post(_path(other, f"/{entry}/corrections"), json=body, headers=world["manager_site"].auth)
    assert elsewhere.status_code == 404
    no_reason = client.post(_path(unit, f"/{entry}/corrections"), json={"details": CHARGE, "reason": " "},
                            headers=world["manager_site"].auth)  # fmt: skip
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (422, "reason")
    bad = client.post(_path(unit, f"/{entry}/corrections"), json={"details": {**CHARGE, "amount_kg": "-1"},
                      "reason": "typo"}, headers=world["manager_site"].auth)  # fmt: skip
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "details.amount_kg")
    assert [e["id"] for e in client.get(_path(unit), headers=world["viewer"].auth).json()] == [entry]


def _export(client: TestClient, world: World, unit: int, fmt: str) -> Any:
    return client.get(_path(unit, f"/export?format={fmt}"), headers=world["viewer"].auth)


def test_the_csv_export_is_a_download_for_excel(client: TestClient, world: World, new_unit: NewUnit) -> None:
    unit, management_no = new_unit()
    entry = _append(client, world, unit).json()["id"]
    response = _export(client, world, unit, "csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="logbook-{management_no}.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["記録番号", "作業日", "記録項目"]
    assert (rows[1][0], rows[1][1], rows[1][6]) == (str(entry), "2026-03-02", "2.5")


def test_the_xlsx_and_json_exports(client: TestClient, world: World, new_unit: NewUnit) -> None:
    unit, management_no = new_unit()
    entry = _append(client, world, unit).json()["id"]
    xlsx = _export(client, world, unit, "xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="logbook-{management_no}.xlsx"' in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet["A2"].value == entry
    document = _export(client, world, unit, "json")
    assert document.headers["content-type"] == "application/json"
    assert f'filename="logbook-{management_no}.json"' in document.headers["content-disposition"]
    data = json.loads(document.content)
    assert (data["format"], data["unit"]["management_no"]) == ("fluorowatch-logbook", management_no)
    assert [e["id"] for e in data["entries"]] == [entry]


def test_an_unknown_export_format_is_refused_by_name(client: TestClient, world: World, unit: int) -> None:
    response = _export(client, world, unit, "docx")
    assert (response.status_code, response.json()["error"]["field"]) == (422, "format")


def test_the_pdf_export(client: TestClient, world: World, new_unit: NewUnit) -> None:
    unit, management_no = new_unit()
    _append(client, world, unit)
    response = _export(client, world, unit, "pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="logbook-{management_no}.pdf"' in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")


def test_a_management_number_in_japanese_still_names_the_download() -> None:
    header = _attachment("logbook-冷蔵-1.csv")
    assert header == "attachment; filename=\"logbook-__-1.csv\"; filename*=UTF-8''logbook-%E5%86%B7%E8%94%B5-1.csv"
    header.encode("latin-1")  # what an HTTP header must be


def test_no_api_route_deletes_or_edits_an_entry_in_place(pool: ConnectionPool) -> None:
    """Acceptance (REGULATION.md (e)): the logbook is appended to and corrected, never edited or deleted. The
    database refuses UPDATE, DELETE and TRUNCATE as well: tests/compliance/test_logbook.py::
    test_a_correction_keeps_both_entries_and_the_original_cannot_be_changed."""
    app = create_app(pool)
    prefix = "/api/v1/equipment/{equipment_id}/logbook"
    routes = {(m, path) for path, methods in _walk_routes(app) if path.startswith(prefix) for m in methods}
    assert routes == {("GET", prefix), ("GET", prefix + "/export"), ("POST", prefix),
                      ("POST", prefix + "/{entry_id}/corrections")}  # fmt: skip
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() if p.startswith(prefix) for m in ops}
    assert documented == routes
    assert not {"DELETE", "PUT", "PATCH"} & {m for m, _ in routes | documented}
