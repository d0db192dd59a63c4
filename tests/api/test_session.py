"""Signing in on the web: the cookies, wrong passwords and their rate limit, expiry on the app's clock, CSRF for
changes made with the session, and bearer tokens still working beside it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi import Request
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from alerts.lifecycle import Person
from api.app import create_app
from api.auth import person_or_none
from api.deps import Connection
from fluorowatch.passwords import hash_password, needs_rehash
from storage.session_queries import set_password_hash
from storage.token_queries import save_user
from tests.api.conftest import World

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_FAILURES = "SELECT count(*) FROM login_failure WHERE email = 'limited@example.jp'"


def password_of(name: str) -> str:
    return f"{name}-passw0rd-long"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def with_passwords(world: World) -> World:
    """Every persona can sign in with ``password_of(name)``."""
    with psycopg.connect(world.url) as conn:
        for persona in world.people.values():
            set_password_hash(conn, persona.user_id, hash_password(password_of(persona.name)))
    return world


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web(pool: ConnectionPool, clock: Clock, with_passwords: World) -> Iterator[TestClient]:
    """A browser of its own (its own cookie jar) on an app whose clock the test moves."""
    app = create_app(pool, clock=clock)

    @app.get("/probe", include_in_schema=False)
    def probe(request: Request, conn: Connection) -> dict[str, Any]:
        person: Person | None = person_or_none(request, conn)
        return {"user_id": person.user_id if person else None}

    with TestClient(app) as client:
        yield client


def sign_in(web: TestClient, name: str, password: str | None = None) -> Any:
    return web.post("/api/v1/session", json={"email": f"{name}@example.jp", "password": password or password_of(name)})


def csrf(web: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": web.cookies["fw_csrf"]}


def test_signing_in_sets_the_session_and_csrf_cookies_and_answers_who(web: TestClient, world: World) -> None:
    response = sign_in(web, "manager_site")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == "manager_site@example.jp" and body["roles"] == ["manager"]
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session, token = cookies["fw_session"].lower(), cookies["fw_csrf"].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session and "secure" not in session
    assert "httponly" not in token and "samesite=lax" in token
    me = web.get("/api/v1/session").json()
    assert me["user"]["display_name"] == "manager_site" and me["user"]["preferred_language"] == "ja"
    assert me["grants"][0] | {"id": 0} == {"id": 0, "role": "manager", "scope": "site",
                                           "scope_id": world.sites["API-A"], "scope_name": "store API-A"}  # fmt: skip
    assert web.get("/api/v1/users/me").json() == me


def test_the_session_id_stored_is_the_hash_of_the_cookie(web: TestClient, world: World) -> None:
    sign_in(web, "viewer")
    token = web.cookies["fw_session"]
    with psycopg.connect(world.url) as conn:
        rows = conn.execute(
            "SELECT id, user_agent, from_address, expires_at FROM user_session WHERE id = encode(sha256(%s), 'hex')",
            (token.encode(),),
        ).fetchall()
    assert len(rows) == 1 and rows[0][0] != token and rows[0][3] == START + timedelta(days=7)
    assert rows[0][2] == "testclient"


def test_the_cookie_is_secure_over_https(pool: ConnectionPool, with_passwords: World) -> None:
    with TestClient(create_app(pool), base_url="https://testserver") as client:
        response = sign_in(client, "viewer")
    assert all("secure" in c.lower() for c in response.headers.get_list("set-cookie"))


def test_unknown_user_and_wrong_password_answer_alike(web: TestClient, world: World) -> None:
    wrong = sign_in(web, "admin", "not-the-password-at-all")
    unknown = web.post("/api/v1/session", json={"email": "nobody@example.jp", "password": "whatever-it-is-1"})
    assert wrong.status_code == unknown.status_code == 401
    expected = {"error": {"code": "unauthorized", "message": "the e-mail address or the password is wrong"}}
    assert wrong.json() == unknown.json() == expected
    assert "fw_session" not in web.cookies
    assert web.get("/api/v1/session").status_code == 401


def test_a_user_without_password_or_deactivated_cannot_sign_in(web: TestClient, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        save_user(conn, "no-password@example.jp", "no password")
    assert web.post("/api/v1/session", json={"email": "no-password@example.jp", "password": ""}).status_code == 422
    assert sign_in(web, "no-password", "anything-long-enough").status_code == 401


def test_failures_are_rate_limited_per_email_and_address(web: TestClient, clock: Clock, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "limited@example.jp", "limited")
        set_password_hash(conn, user_id, hash_password(password_of("limited")))
    for _ in range(5):
        assert sign_in(web, "limited", "wrong-wrong-wrong").status_code == 401
        clock.advance(minutes=1)
    refused = sign_in(web, "limited")  # the right password too
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert refused.headers["retry-after"] == str(10 * 60)  # the first failure leaves the window in 10 minutes
    assert sign_in(web, "viewer").status_code == 200  # another e-mail address is not affected
    with psycopg.connect(world.url) as conn:
        (stored,) = conn.execute(_FAILURES).fetchone() or (None,)
    assert stored == 5
    clock.advance(minutes=10)
    assert sign_in(web, "limited").status_code == 200
    with psycopg.connect(world.url) as conn:
        (left,) = conn.execute(_FAILURES).fetchone() or (None,)
    assert left == 0  # a successful sign-in forgets them


def test_a_session_ends_after_12_idle_hours(web: TestClient, clock: Clock) -> None:
    sign_in(web, "viewer")
    clock.advance(hours=11)
    assert web.get("/api/v1/session").status_code == 200  # used: the idle time starts again
    clock.advance(hours=11, minutes=59)
    assert web.get("/api/v1/alerts").status_code == 200
    clock.advance(hours=12)
    expired = web.get("/api/v1/session")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "unauthorized"
    assert web.get("/probe").json() == {"user_id": None}


def test_a_session_ends_7_days_after_signing_in_however_used(web: TestClient, clock: Clock) -> None:
    sign_in(web, "viewer")
    for _ in range(15):  # 15 x 11 h = 6 days 21 hours
        clock.advance(hours=11)
        assert web.get("/api/v1/session").status_code == 200
    clock.advance(hours=3)
    assert web.get("/api/v1/session").status_code == 401


def test_signing_out_needs_csrf_and_ends_the_session(web: TestClient, world: World) -> None:
    sign_in(web, "viewer")
    token = web.cookies["fw_session"]
    assert web.delete("/api/v1/session").status_code == 403
    assert web.get("/api/v1/session").status_code == 200
    out = web.delete("/api/v1/session", headers=csrf(web))
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    assert "fw_session" not in web.cookies
    web.cookies.set("fw_session", token)  # a copy of the old cookie opens nothing
    assert web.get("/api/v1/session").status_code == 401
    with psycopg.connect(world.url) as conn:
        row = conn.execute(
            "SELECT revoked_at FROM user_session WHERE id = encode(sha256(%s), 'hex')", (token.encode(),)
        ).fetchone()
    assert row is not None and row[0] == START


def test_changes_with_the_session_need_the_csrf_header(web: TestClient, leak_alert: int) -> None:
    sign_in(web, "manager_site")
    path = f"/api/v1/alerts/{leak_alert}/acknowledge"
    missing = web.post(path)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "forbidden"
    assert web.post(path, headers={"X-CSRF-Token": "guessed"}).status_code == 403
    assert web.get(f"/api/v1/alerts/{leak_alert}").json()["status"] == "raised"
    assert web.post(path, headers=csrf(web)).status_code == 200


def test_a_csrf_pair_from_another_session_is_refused(
    web: TestClient, pool: ConnectionPool, with_passwords: World, leak_alert: int
) -> None:
    with TestClient(create_app(pool)) as attacker:
        sign_in(attacker, "viewer")
        theirs = attacker.cookies["fw_csrf"]
    sign_in(web, "manager_site")
    web.cookies.set("fw_csrf", theirs)  # cookie tossing: header and cookie agree, but not with the session
    assert web.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers={"X-CSRF-Token": theirs}).status_code == 403


def test_bearer_tokens_still_work_and_win_over_the_cookie(web: TestClient, world: World, leak_alert: int) -> None:
    sign_in(web, "viewer")
    manager = world["manager_site"]
    assert web.get("/api/v1/session", headers=manager.auth).json()["user"]["id"] == manager.user_id
    # bearer requests need no CSRF header, cookie or not
    assert web.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers=manager.auth).status_code == 200
    bad = web.get("/api/v1/session", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401  # a bad bearer does not fall back to the cookie


def test_person_or_none_reads_the_session_cookie_only(web: TestClient, world: World) -> None:
    assert web.get("/probe", headers=world["viewer"].auth).json() == {"user_id": None}
    sign_in(web, "contractor")
    assert web.get("/probe").json() == {"user_id": world["contractor"].user_id}


def test_a_deactivated_persons_session_ends(web: TestClient, world: World) -> None:
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "leaving@example.jp", "leaving")
        set_password_hash(conn, user_id, hash_password(password_of("leaving")))
    assert sign_in(web, "leaving").status_code == 200
    with psycopg.connect(world.url) as conn:
        conn.execute("UPDATE app_user SET is_active = false WHERE id = %s", (user_id,))
    assert web.get("/api/v1/session").status_code == 401
    assert sign_in(web, "leaving").status_code == 401


def test_an_old_hash_is_remade_with_the_present_parameters_at_sign_in(web: TestClient, world: World) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with psycopg.connect(world.url) as conn:
        user_id = save_user(conn, "rehash@example.jp", "rehash")
        set_password_hash(conn, user_id, weak.hash(password_of("rehash")))
    assert needs_rehash(weak.hash("x"))
    assert sign_in(web, "rehash").status_code == 200
    with psycopg.connect(world.url) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM app_user WHERE id = %s", (user_id,)).fetchone() or ("",)
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert sign_in(web, "rehash").status_code == 200
