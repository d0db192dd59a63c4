"""POST /api/v1/alerts/{id}/confirm-leak: the unit's manager (or a delegate) confirms a leak alert, which records
the leak (day 0 of the 60 days of REGULATION.md (d2) case 2) and opens the repair ticket for the site's contractor
(REGULATION.md (d1)). Everyone else is refused and the attempt is kept; nothing half-done is ever stored."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import SITE_B, NewAlert, World
from tests.api.test_alerts_api import ALLOWED, AuditRows


def _confirm(client: TestClient, who: dict[str, str], alert_id: int, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1/alerts/{alert_id}/confirm-leak", json=body, headers=who)


def _leak_cases(world: World, alert_id: int) -> list[tuple[int, date]]:
    with psycopg.connect(world.url) as conn:
        rows = conn.execute(
            """SELECT l.id, l.confirmed_on FROM leak_case l JOIN alert a
                 ON (a.equipment_id, a.circuit_no) = (l.equipment_id, l.circuit_no) WHERE a.id = %s""",
            (alert_id,),
        ).fetchall()
    return [(int(i), d) for i, d in rows]


@pytest.mark.parametrize("who", ALLOWED)
def test_the_manager_or_a_delegate_confirms_and_the_contractor_gets_the_ticket(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows, who: str
) -> None:
    response = _confirm(client, world[who].auth, leak_alert)
    assert response.status_code == 201, response.text
    confirmed = response.json()
    [(case_id, day_0)] = _leak_cases(world, leak_alert)
    assert (confirmed["alert_id"], confirmed["leak_case_id"]) == (leak_alert, case_id)
    assert date.fromisoformat(confirmed["leak_confirmed_on"]) == day_0
    assert date.fromisoformat(confirmed["repair_deadline"]) == day_0 + timedelta(days=60)  # REGULATION.md (d2)
    queue = client.get("/api/v1/tickets", headers=world["contractor"].auth).json()
    ticket = next(t for t in queue if t["id"] == confirmed["ticket_id"])
    assert (ticket["status"], ticket["leak_confirmed_on"]) == ("open", day_0.isoformat())
    audit = [(r["action"], r["allowed"], r["actor"], r["reason"]) for r in audit_rows(leak_alert)]
    opened = f"leak confirmed, repair ticket {ticket['id']} opened"
    assert audit == [("confirm_leak", True, world[who].name, ""), ("acknowledge", True, world[who].name, opened)]
    with psycopg.connect(world.url) as conn:  # in the manager's hands now: it escalates no further
        assert conn.execute("SELECT status FROM alert WHERE id = %s", (leak_alert,)).fetchone() == ("acknowledged",)


@pytest.mark.parametrize("who", ["viewer", "contractor", "admin"])
def test_nobody_else_confirms_a_leak_and_the_attempt_is_kept(
    client: TestClient, world: World, leak_alert: int, audit_rows: AuditRows, who: str
) -> None:
    response = _confirm(client, world[who].auth, leak_alert)
    assert response.status_code == 403
    assert "only the unit's manager or a delegate" in response.json()["error"]["message"]
    assert _leak_cases(world, leak_alert) == []
    assert [(r["action"], r["allowed"]) for r in audit_rows(leak_alert)] == [("confirm_leak_refused", False)]


@pytest.mark.parametrize("who", ["manager_other", "outsider"])
def test_people_elsewhere_do_not_learn_the_alert_exists(
    client: TestClient, world: World, leak_alert: int, who: str
) -> None:
    response = _confirm(client, world[who].auth, leak_alert)
    assert response.status_code == 404
    assert _leak_cases(world, leak_alert) == []


def test_confirming_twice_opens_no_second_ticket(client: TestClient, world: World, leak_alert: int) -> None:
    first = _confirm(client, world["manager_site"].auth, leak_alert).json()
    again = _confirm(client, world["delegate"].auth, leak_alert)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        f"the leak is confirmed already (leak case {first['leak_case_id']}): ticket {first['ticket_id']} is in progress"
    )
    with psycopg.connect(world.url) as conn:
        count = conn.execute("SELECT count(*) FROM ticket WHERE leak_case_id = %s", (first["leak_case_id"],))
        assert count.fetchone() == (1,)


def test_an_alert_that_is_not_a_leak_is_not_confirmed_as_one(
    client: TestClient, world: World, new_alert: NewAlert
) -> None:
    alert_id = new_alert("condenser_fouling")
    response = _confirm(client, world["manager_site"].auth, alert_id)
    assert response.status_code == 409
    assert (
        response.json()["error"]["message"] == "only a leak alert is confirmed as a leak; this one is condenser_fouling"
    )


def test_without_a_contractor_for_the_site_nothing_is_stored(
    client: TestClient, world: World, new_alert: NewAlert
) -> None:
    alert_id = new_alert(site=SITE_B)  # store B has no contractor registered
    response = _confirm(client, world["manager_other"].auth, alert_id)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "no contractor is registered for the unit's site: name the contractor for the ticket"
    )
    assert _leak_cases(world, alert_id) == []  # the leak case of the refused attempt was rolled back


def test_a_contractor_not_serving_the_site_is_refused(client: TestClient, world: World, leak_alert: int) -> None:
    response = _confirm(client, world["manager_site"].auth, leak_alert, {"contractor_id": 999_999})
    assert response.status_code == 409
    assert "is not registered to serve the unit's site" in response.json()["error"]["message"]
    assert _leak_cases(world, leak_alert) == []


def test_a_malformed_contractor_is_named(client: TestClient, world: World, leak_alert: int) -> None:
    response = _confirm(client, world["manager_site"].auth, leak_alert, {"contractor_id": "the usual one"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "contractor_id"
