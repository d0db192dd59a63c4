"""/api/v1/alerts: who sees an alert, who may acknowledge and resolve it, and that every attempt stays on record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.app import create_app
from tests.api.conftest import SITE_A, NewAlert, Persona, World

AuditRows = Callable[[int], list[dict[str, Any]]]
ALLOWED = ["manager_site", "manager_branch", "delegate"]
REFUSED = ["contractor", "viewer", "admin", "manager_other", "outsider"]
CLIENT_HOST = "testclient"  # the address TestClient's requests come from


def _row(action: str, allowed: bool, who: Persona, reason: str) -> dict[str, Any]:
    """An audit row as the test expects it: the person by id and name, from the test client's address."""
    return {"action": action, "allowed": allowed, "actor_user_id": who.user_id, "actor": who.name,
            "from_address": CLIENT_HOST, "reason": reason}  # fmt: skip


def _status(world: World, alert_id: int) -> str:
    with psycopg.connect(world.url) as conn:
        row = conn.execute("SELECT status FROM alert WHERE id = %s", (alert_id,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("who", ["manager_site", "manager_branch", "viewer", "contractor", "admin"])
def test_people_of_the_site_see_its_alert(client: TestClient, world: World, leak_alert: int, who: str) -> None:
    listed = client.get("/api/v1/alerts", headers=world[who].auth)
    assert listed.status_code == 200
    assert leak_alert in [a["id"] for a in listed.json()]
    one = client.get(f"/api/v1/alerts/{leak_alert}", headers=world[who].auth).json()
    assert (one["id"], one["site_code"], one["category"], one["status"]) == (leak_alert, SITE_A, "leak", "raised")


@pytest.mark.parametrize("who", ["manager_other", "outsider"])
def test_people_elsewhere_do_not_learn_the_alert_exists(
    client: TestClient, world: World, leak_alert: int, who: str
) -> None:
    assert leak_alert not in [a["id"] for a in client.get("/api/v1/alerts", headers=world[who].auth).json()]
    for path in (f"/api/v1/alerts/{leak_alert}", f"/api/v1/alerts/{leak_alert}/history"):
        response = client.get(path, headers=world[who].auth)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_an_outsider_sees_nothing_at_all(client: TestClient, world: World, new_alert: NewAlert) -> None:
    new_alert()
    new_alert("condenser_fouling")
    response = client.get("/api/v1/alerts", headers=world["outsider"].auth)
    assert response.status_code == 200
    assert response.json() == []


def test_the_list_filters_by_status_and_names_a_bad_one(client: TestClient, world: World, leak_alert: int) -> None:
    auth = world["manager_site"].auth
    assert leak_alert in [a["id"] for a in client.get("/api/v1/alerts?status=raised", headers=auth).json()]
    assert leak_alert not in [a["id"] for a in client.get("/api/v1/alerts?status=resolved", headers=auth).json()]
    bad = client.get("/api/v1/alerts?status=closed", headers=auth)
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "status"


@pytest.mark.parametrize("who", ALLOWED)
def test_the_units_manager_or_their_delegate_acknowledges_and_it_is_audited(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows, who: str
) -> None:
    response = client.post(
        f"/api/v1/alerts/{leak_alert}/acknowledge", json={"reason": "on my way"}, headers=world[who].auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "acknowledged"
    assert _status(world, leak_alert) == "acknowledged"
    assert audit_rows(leak_alert) == [_row("acknowledge", True, world[who], "on my way")]


def test_a_delegate_acts_as_the_delegate_of_the_manager(client: TestClient, world: World, leak_alert: int) -> None:
    response = client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers=world["delegate"].auth)
    assert response.status_code == 200
    assert response.json()["allowed_as"] == "delegate of manager_site"


@pytest.mark.parametrize("who", REFUSED)
def test_nobody_else_can_wave_a_leak_alert_away_and_the_attempt_is_kept(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows, who: str
) -> None:
    response = client.post(
        f"/api/v1/alerts/{leak_alert}/acknowledge", json={"reason": "false alarm"}, headers=world[who].auth
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert "only the unit's manager or a delegate" in error["message"]
    assert _status(world, leak_alert) == "raised"
    assert audit_rows(leak_alert) == [_row("acknowledge_refused", False, world[who], "false alarm")]


@pytest.mark.parametrize(("who", "expected"), [("manager_site", 200), ("delegate", 200), ("admin", 403),
                                               ("viewer", 403), ("contractor", 403)])  # fmt: skip
def test_resolving_a_leak_follows_the_same_rule_and_is_audited(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows, who: str, expected: int
) -> None:
    reason = "flare nut re-tightened, leak test passed"
    response = client.post(f"/api/v1/alerts/{leak_alert}/resolve", json={"reason": reason}, headers=world[who].auth)
    assert response.status_code == expected
    assert _status(world, leak_alert) == ("resolved" if expected == 200 else "raised")
    allowed = expected == 200
    assert audit_rows(leak_alert) == [_row("resolve" if allowed else "resolve_refused", allowed, world[who], reason)]


def test_an_administrator_may_acknowledge_an_alert_that_is_not_a_leak(
    client: TestClient, world: World, new_alert: NewAlert
) -> None:
    alert_id = new_alert("condenser_fouling")
    response = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=world["admin"].auth)
    assert response.status_code == 200
    assert response.json()["allowed_as"] == "an administrator (not a leak alert)"


def test_acknowledging_twice_is_a_conflict(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows
) -> None:
    auth = world["manager_site"].auth
    assert client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers=auth).status_code == 200
    again = client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers=auth)
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "conflict", "message": "the alert is already acknowledged"}
    assert [r["action"] for r in audit_rows(leak_alert)] == ["acknowledge"]


def test_a_resolved_alert_takes_no_further_action(client: TestClient, world: World, leak_alert: int) -> None:
    auth = world["manager_branch"].auth
    assert client.post(f"/api/v1/alerts/{leak_alert}/resolve", json={"reason": "repaired"}, headers=auth).is_success
    for action in ("acknowledge", "resolve"):
        response = client.post(f"/api/v1/alerts/{leak_alert}/{action}", json={"reason": "again"}, headers=auth)
        assert response.status_code == 409


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_resolving_needs_a_reason(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows, body: dict[str, str]
) -> None:
    response = client.post(f"/api/v1/alerts/{leak_alert}/resolve", json=body, headers=world["manager_site"].auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == "reason"
    assert error["message"].startswith("reason:")
    assert audit_rows(leak_alert) == []


def test_acting_on_an_alert_that_does_not_exist_is_not_found(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/alerts/999999999/acknowledge", headers=world["manager_site"].auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_history_shows_every_attempt_to_those_who_see_the_alert(
    client: TestClient, world: World, leak_alert: int
) -> None:
    client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", json={"reason": "nothing"}, headers=world["viewer"].auth)
    client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", json={"reason": "seen"}, headers=world["manager_site"].auth)
    history = client.get(f"/api/v1/alerts/{leak_alert}/history", headers=world["viewer"].auth)
    assert history.status_code == 200
    rows = [(r["action"], r["allowed"], r["actor"], r["from_address"], r["reason"]) for r in history.json()]
    assert rows == [("acknowledge_refused", False, "viewer", CLIENT_HOST, "nothing"),
                    ("acknowledge", True, "manager_site", CLIENT_HOST, "seen")]  # fmt: skip


def test_the_history_cannot_be_deleted_through_the_api(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows
) -> None:
    client.post(f"/api/v1/alerts/{leak_alert}/acknowledge", headers=world["manager_site"].auth)
    for who in ("admin", "manager_site"):
        for path in (f"/api/v1/alerts/{leak_alert}", f"/api/v1/alerts/{leak_alert}/history"):
            response = client.delete(path, headers=world[who].auth)
            assert response.status_code == 405
            assert response.json()["error"]["code"] == "method_not_allowed"
            assert "DELETE" not in response.headers["allow"]
    assert len(audit_rows(leak_alert)) == 1
    assert _status(world, leak_alert) == "acknowledged"


def _walk_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, also those of included routers (which newer FastAPI keeps nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI that flattens included routers into app.routes
        return [(r.path, set(r.methods or ())) for r in app.routes if isinstance(r, APIRoute)]
    return [(c.path or "", set(c.methods or ())) for c in iter_route_contexts(app.routes)]


def test_no_api_route_deletes_anything(pool: ConnectionPool) -> None:
    app = create_app(pool)
    routes = [(path, methods) for path, methods in _walk_routes(app) if path.startswith("/api/v1")]
    assert {"/api/v1/alerts", "/api/v1/alerts/{alert_id}", "/api/v1/alerts/{alert_id}/history"} <= {
        p for p, _ in routes
    }
    # Revocations answer DELETE: signing out and revoking an agent keep their rows (revoked_at); taking a role
    # away removes the assignment. Nothing else, and nothing of the alerts, is deleted through the API.
    revocations = {"/api/v1/session", "/api/v1/agents/{agent_id}", "/api/v1/users/{user_id}/roles/{role_id}"}
    for path, methods in routes:
        assert "DELETE" not in methods or path in revocations, path
    for path, operations in app.openapi()["paths"].items():
        assert "delete" not in operations or path in revocations, path


def test_the_database_refuses_deleting_or_rewriting_history(world: World, leak_alert: int) -> None:
    with psycopg.connect(world.url) as conn:
        conn.execute("INSERT INTO alert_audit (alert_id, action, allowed, actor) VALUES (%s, 'raised', true, 'x')",
                     (leak_alert,))  # fmt: skip
        conn.commit()
        for statement in ("DELETE FROM alert_audit WHERE alert_id = %s", "UPDATE alert_audit SET reason = 'gone' "
                          "WHERE alert_id = %s", "DELETE FROM alert WHERE id = %s"):  # fmt: skip
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="history is kept"):
                conn.execute(statement, (leak_alert,))
            conn.rollback()
        assert conn.execute("SELECT count(*) FROM alert_audit WHERE alert_id = %s", (leak_alert,)).fetchone() == (1,)
