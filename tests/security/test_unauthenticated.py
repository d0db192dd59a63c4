"""Without credentials the API answers 401 to every operation under /api/v1, whatever the record and the body,
and the dashboard's pages send the browser to /login.

Walked from the application's own OpenAPI document, so an operation added later is checked without editing
this file. The path ids are real records of the company (tests/security/conftest.py), so a 401 cannot be a
404 in disguise, and the bodies are the schema's examples, so it cannot be a 422 either. Nothing sent here may
change anything: the records are read back afterwards.

Cross-organisation access (a signed-in person of another company) is walked by tests/api/test_outsider.py;
tests/security/test_other_contractor.py adds the staff of another contractor.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.auth import SESSION_COOKIE
from tests.api.conftest import World
from tests.security.conftest import example_body

# The operations that answer without a session, each by design (api/routers/session.py):
EXEMPT = {
    # Signing in is how a session is obtained: it cannot need one. Without a right password it answers 401 all
    # the same (checked below with a wrong one); the example body's account does not exist.
    ("POST", "/api/v1/session"),
    # Signing out without a live session has nothing to end: it clears the cookies and answers
    # {"signed_out": false}, revealing nothing and changing nothing (checked below).
    ("DELETE", "/api/v1/session"),
}
# GET /api/v1/session ("who is signed in") is not exempt: without a session it is 401 like the rest.
QUERY: dict[str, str | int] = {
    "fiscal_year": 2025,
    "company": "Sakura Test Mart",
    "format": "json",
    "from": "2026-01-01T00:00:00Z",
    "to": "2026-01-02T00:00:00Z",
}
# Kinds of credentials that are not credentials: each must be refused exactly like none at all.
NOT_CREDENTIALS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
    {"Cookie": f"{SESSION_COOKIE}=not-a-session"},
]


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in operations.items()
    ]


def _url(path: str, records: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(records.get(m.group(1), "sites")), path)  # {what}: an import kind


WRITTEN_BY_THE_API = ("alert_audit", "ticket_transition", "logbook_entry", "refrigerant_movement", "charge_refusal",
                      "notification_channel", "notification_route", "alert_delegate", "app_user", "role_assignment",
                      "agent_credential", "user_session", "api_token")  # fmt: skip


def _counts(world: World) -> dict[str, int]:
    with psycopg.connect(world.url) as conn:
        return {t: int((conn.execute(f"SELECT count(*) FROM {t}").fetchone() or (0,))[0]) for t in WRITTEN_BY_THE_API}


@pytest.mark.parametrize("headers", NOT_CREDENTIALS, ids=["none", "empty-bearer", "bad-bearer", "basic", "bad-cookie"])
def test_every_api_operation_refuses_a_caller_without_credentials(
    security_client: TestClient, security_world: World, records: dict[str, int], headers: dict[str, str]
) -> None:
    client = TestClient(security_client.app)  # a client of its own: no cookie left by another test
    spec = client.app.openapi()  # type: ignore[attr-defined]
    before = _counts(security_world)
    walked, wrong = 0, []
    for method, path, operation in _operations(spec):
        if (method, path) in EXEMPT:
            continue
        response = client.request(method, _url(path, records), params=QUERY, json=example_body(spec, operation),
                                  headers=headers)  # fmt: skip
        walked += 1
        if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
            wrong.append((method, path, response.status_code, response.text[:120]))
        else:
            assert set(response.json()) <= {"error", "detail", "message", "field"}, (path, response.text)
    assert wrong == [], wrong
    assert walked >= 40, walked
    assert _counts(security_world) == before  # nothing was written


def test_the_exempt_operations_give_nothing_away(security_client: TestClient, security_world: World) -> None:
    client = TestClient(security_client.app)
    wrong = client.post("/api/v1/session", json={"email": "manager_site@example.jp", "password": "not it"})
    assert wrong.status_code == 401
    assert SESSION_COOKIE not in wrong.cookies
    signed_out = client.delete("/api/v1/session")
    assert (signed_out.status_code, signed_out.json()) == (200, {"signed_out": False})
    assert client.get("/api/v1/session").status_code == 401


def test_the_exemptions_are_still_the_only_operations_of_the_session_router(security_client: TestClient) -> None:
    spec = security_client.app.openapi()  # type: ignore[attr-defined]
    session_ops = {(m, p) for m, p, _ in _operations(spec) if p == "/api/v1/session"}
    assert session_ops == EXEMPT | {("GET", "/api/v1/session")}


DASHBOARD_PAGES = ["/", "/alerts", "/tickets", "/inspections", "/leakage", "/imports", "/inspections/due.csv",
                   "/inspections/due.xlsx"]  # fmt: skip


def test_the_dashboard_pages_send_a_browser_without_a_session_to_login(
    security_client: TestClient, records: dict[str, int]
) -> None:
    client = TestClient(security_client.app, follow_redirects=False)
    pages = [*DASHBOARD_PAGES, f"/units/{records['equipment_id']}"]
    # Every page route of the app is here (the API, the operations endpoints and the static files aside).
    routes = {getattr(r, "path", "") for r in security_client.app.routes}  # type: ignore[attr-defined]
    page_routes = {p for p in routes if p and not p.startswith(("/api", "/static", "/openapi", "/docs", "/redoc"))}
    known = {"/", "/alerts", "/tickets", "/inspections", "/leakage", "/imports", "/inspections/due.{fmt}",
             "/units/{equipment_id}", "/login", "/lang/{code}", "/live", "/healthz", "/readyz", "/metrics"}  # fmt: skip
    assert page_routes <= known, page_routes - known  # a new page: add it to DASHBOARD_PAGES
    for page in pages:
        for cookies in ({}, {SESSION_COOKIE: "not-a-session"}):
            client.cookies.clear()
            client.cookies.update(cookies)
            response = client.get(page)
            assert response.status_code == 303, (page, response.status_code)
            assert response.headers["location"].startswith("/login?next="), (page, response.headers["location"])
    client.cookies.clear()
    live = client.get("/live")  # the pages' polling: data, so 401 rather than a redirect
    assert (live.status_code, live.json()) == (401, {"signed_in": False})
    assert client.get("/login").status_code == 200  # the sign-in page itself needs no session
