"""What tests/api/test_outsider.py does not walk: the staff of another contractor (a refrigeration firm serving
another company's store, not the company's). Contractors see tickets and units through the sites their firm
serves, a path of its own (api/scoping.py), so the outsider's walk does not cover it. With a bearer token and the
schema's example bodies, every operation on the company's records: nothing names the company, its sites or its
units, and no write on one of its records is accepted. The same person signed in with a session cookie fares no
better (the cookie path of api/auth.py), checked on the reads."""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.auth import SESSION_COOKIE
from fluorowatch import passwords
from storage import session_queries as sq
from storage.token_queries import grant_role, issue_token, save_user
from tests.api.conftest import COMPANY, SITE_A, SITE_B, SITE_C, World
from tests.api.resource_helpers import other_contractor
from tests.security.conftest import example_body

OWN = {("GET", "/api/v1/session"), ("POST", "/api/v1/session"), ("DELETE", "/api/v1/session"),
       ("GET", "/api/v1/users/me")}  # fmt: skip


@pytest.fixture(scope="module")
def other_firm(security_world: World) -> tuple[str, str, str]:
    """Staff of another contractor, serving the other company's store C: (bearer token, e-mail, password)."""
    firm = other_contractor(security_world, SITE_C)
    email, password = f"other-firm-{uuid.uuid4().hex[:8]}@example.jp", f"pw-{uuid.uuid4().hex}"
    with psycopg.connect(security_world.url) as conn:
        user_id = save_user(conn, email, "Other Firm")
        grant_role(conn, user_id, "contractor", contractor_id=firm)
        sq.set_password_hash(conn, user_id, passwords.hash_password(password))
        _, token = issue_token(conn, user_id, "other firm")
    return token, email, password


def _company_names(world: World) -> list[str]:
    with psycopg.connect(world.url) as conn:
        rows = conn.execute(
            """SELECT s.site_code, s.name, e.management_no FROM site s LEFT JOIN equipment e ON e.site_id = s.id
               WHERE s.id = ANY(%s)""",
            ([world.sites[SITE_A], world.sites[SITE_B]],),
        ).fetchall()
    return sorted({COMPANY, *(str(v) for row in rows for v in row if v)})


Answers = list[tuple[str, str, int, str]]  # method, path, status, body


def _walk(client: TestClient, records: dict[str, int], headers: dict[str, str], *, reads_only: bool = False) -> Answers:
    spec: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
    answers: Answers = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            if (method.upper(), path) in OWN or (reads_only and method != "get"):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: str(records.get(m.group(1), "sites")), path)
            params: dict[str, str | int] = {"fiscal_year": 2025, "company": COMPANY, "format": "json"}
            response = client.request(method.upper(), url, params=params, json=example_body(spec, operation),
                                      headers=headers)  # fmt: skip
            answers.append((method, path, response.status_code, response.text))
    return answers


def _check(world: World, answers: Answers) -> None:
    names = _company_names(world)
    for method, path, code, text in answers:
        if code < 300:
            leaked = [name for name in names if name in text]
            assert leaked == [], (method, path, leaked, text[:300])
            assert method == "get" or "{" not in path, (method, path, "a write on the company's record")
        else:
            assert code in (403, 404, 422), (method, path, code, text[:200])


def test_another_contractor_gets_nothing_of_the_company_with_a_token(
    security_client: TestClient, security_world: World, records: dict[str, int], other_firm: tuple[str, str, str]
) -> None:
    token, _, _ = other_firm
    answers = _walk(security_client, records, {"Authorization": f"Bearer {token}"})
    assert len(answers) > 40
    _check(security_world, answers)


def test_another_contractor_gets_nothing_of_the_company_signed_in(
    security_client: TestClient, security_world: World, records: dict[str, int], other_firm: tuple[str, str, str]
) -> None:
    _, email, password = other_firm
    client = TestClient(security_client.app)
    assert client.post("/api/v1/session", json={"email": email, "password": password}).status_code == 200
    assert client.cookies.get(SESSION_COOKIE)
    answers = _walk(client, records, {}, reads_only=True)
    assert len(answers) > 20
    _check(security_world, answers)
    # The dashboard too: the unit page of the company's unit is not shown to it.
    page = client.get(f"/units/{records['equipment_id']}", follow_redirects=False)
    assert page.status_code in (403, 404), page.status_code
    assert [n for n in _company_names(security_world) if n in client.get("/").text] == []
