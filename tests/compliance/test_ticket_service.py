"""Leak cases, tickets and charge/recovery certificates against a real database (compliance.ticket_service):
the law on charging a leaking unit (REGULATION.md (d1), (d2), (d3)) and certificates ((f)). Time is passed in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from alerts.lifecycle import Person
from compliance.recharge import ChargeRequest, Emergency, Occasion
from compliance.ticket_service import (
    ChargeRefused,
    Recovery,
    confirm_leak,
    open_ticket,
    record_charge,
    record_recovery,
    transition,
)
from compliance.tickets import NotPermitted, QualifiedPerson, Status, TicketTransitionError
from fluorowatch.domain.organisation import Contractor
from storage import alert_queries
from storage import ticket_queries as q
from storage.registry import assign_contractor, save_contractor
from tests.alerts.conftest import T0, World, add_user, build_world

CONFIRMED = date(2026, 3, 2)  # day 0; T0 is 10:00 on that day in Tokyo
QUALIFIED = QualifiedPerson("佐藤 一郎", "JARAC-T-012345")


@dataclass(frozen=True)
class Fleet:
    world: World
    contractor_id: int  # serves Shinjuku
    technician: Person  # a user of that contractor
    outsider_id: int  # registered, serves no site of Acme
    outsider: Person

    @property
    def unit(self) -> int:
        return self.world.unit


def _contractor_user(conn: psycopg.Connection, email: str, contractor_id: int) -> Person:
    row = conn.execute("INSERT INTO app_user (email) VALUES (%s) RETURNING id", (email,)).fetchone()
    assert row is not None
    conn.execute("INSERT INTO role_assignment (user_id, role, contractor_id) VALUES (%s, 'contractor', %s)",
                 (row[0], contractor_id))  # fmt: skip
    person = alert_queries.person(conn, int(row[0]))
    assert person is not None
    return person


def _build_fleet(conn: psycopg.Connection) -> Fleet:
    world = build_world(conn)
    contractor_id = save_contractor(conn, Contractor("冷熱サービス", "東京都第1234号", "13"))
    assign_contractor(conn, world.site_id, contractor_id)
    outsider_id = save_contractor(conn, Contractor("他社冷機", "神奈川県第99号", "14"))
    return Fleet(world, contractor_id, _contractor_user(conn, "sato@reinetsu.example.jp", contractor_id),
                 outsider_id, _contractor_user(conn, "ito@tasha.example.jp", outsider_id))  # fmt: skip


@pytest.fixture
def fleet(conn: psycopg.Connection) -> Fleet:
    return _build_fleet(conn)


def _day(n: int) -> date:
    return CONFIRMED + timedelta(days=n)


def _at(n: int) -> datetime:
    return T0 + timedelta(days=n)


def _emergency(charged_day: int = 1, planned_day: int = 30, refrigerant: str = "R404A") -> ChargeRequest:
    return ChargeRequest(refrigerant, Decimal("2.5"), Occasion.MAINTENANCE, _day(charged_day), Emergency.GOODS,
                         _day(planned_day))  # fmt: skip


def _charge(
    conn: psycopg.Connection, fleet: Fleet, request: ChargeRequest, certificate_no: str = "C-0001",
    person: Person | None = None, contractor_id: int | None = None, ticket_id: int | None = None,
) -> int:  # fmt: skip
    return record_charge(
        conn, fleet.unit, 1, request, certificate_no=certificate_no,
        contractor_id=contractor_id or fleet.contractor_id, qualified_person=QUALIFIED,
        person=person or fleet.technician, at=_at((request.charged_on - CONFIRMED).days), ticket_id=ticket_id,
    )  # fmt: skip


def _leak(conn: psycopg.Connection, fleet: Fleet) -> int:
    return confirm_leak(conn, fleet.unit, 1, CONFIRMED)


def test_the_first_emergency_charge_is_accepted_inside_60_days(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d2) case 2: a single emergency charge; the planned repair goes to the leak case (e) item 6
    leak_id = _leak(conn, fleet)
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=leak_id, opened_at=_at(0))
    _charge(conn, fleet, _emergency(planned_day=30), ticket_id=ticket_id)
    (movement,) = q.movements(conn, fleet.unit)
    assert (movement["emergency"], movement["leak_case_id"], movement["ticket_id"]) == ("goods", leak_id, ticket_id)
    assert movement["contractor_registration_no"] == "東京都第1234号"
    assert (movement["qualified_person"], movement["qualification_no"]) == (QUALIFIED.name, QUALIFIED.qualification_no)
    leak = q.leak_case_by_id(conn, leak_id)
    assert leak is not None and leak.planned_repair_on == _day(30)


def test_a_second_emergency_charge_is_refused_and_the_refusal_kept(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d2) case 2: once only (1回に限り)
    leak_id = _leak(conn, fleet)
    _charge(conn, fleet, _emergency(charged_day=1))
    with pytest.raises(ChargeRefused, match="allowed once only") as refused:
        _charge(conn, fleet, _emergency(charged_day=9), certificate_no="C-0002")
    assert refused.value.decision.rule == "REGULATION.md (d2) case 2"
    (row,) = q.refusals(conn, fleet.unit)
    assert (row["leak_case_id"], row["actor_user_id"], row["rule"]) == (leak_id, fleet.technician.user_id,
                                                                         "REGULATION.md (d2) case 2")  # fmt: skip
    assert len(q.movements(conn, fleet.unit)) == 1


def test_the_refusal_is_kept_when_the_caller_commits(new_migrated_database: Callable[[str], str]) -> None:
    # REGULATION.md (d3): an attempted illegal charge is information the manager needs
    url = new_migrated_database(f"tickets_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(url) as conn:
        fleet = _build_fleet(conn)
        _leak(conn, fleet)
        with pytest.raises(ChargeRefused):
            _charge(conn, fleet, ChargeRequest("R404A", Decimal("2"), Occasion.MAINTENANCE, _day(3)))
        conn.commit()
    with psycopg.connect(url) as other:
        assert [r["rule"] for r in q.refusals(other, fleet.unit)] == ["REGULATION.md (d1), (d2)"]


def test_a_maintenance_charge_without_an_emergency_is_refused_while_the_leak_is_open(
    conn: psycopg.Connection, fleet: Fleet
) -> None:
    # REGULATION.md (d1) 3., (d3) 2.: no charge into an unrepaired unit
    _leak(conn, fleet)
    with pytest.raises(ChargeRefused, match="is not repaired"):
        _charge(conn, fleet, ChargeRequest("R404A", Decimal("2"), Occasion.MAINTENANCE, _day(3)))
    assert q.movements(conn, fleet.unit) == [] and len(q.refusals(conn, fleet.unit)) == 1


def _repair(conn: psycopg.Connection, fleet: Fleet, leak_id: int, *, through: Status = Status.CLOSED) -> int:
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=leak_id, opened_at=_at(0))
    path = [Status.DISPATCHED, Status.LEAK_LOCATED, Status.REPAIRED, Status.VERIFIED, Status.CLOSED]
    for n, target in enumerate(path[: path.index(through) + 1], start=1):
        transition(conn, ticket_id, fleet.technician, target, at=_at(n), qualified_person=QUALIFIED)
    return ticket_id


def test_a_charge_after_a_verified_repair_is_accepted(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d1), (d3) 2.: leak found -> located -> repaired -> confirmed -> then charge
    leak_id = _leak(conn, fleet)
    ticket_id = _repair(conn, fleet, leak_id)
    leak = q.leak_case_by_id(conn, leak_id)
    assert leak is not None and (leak.repaired_on, leak.verified_on, leak.is_open) == (_day(3), _day(4), False)
    _charge(conn, fleet, ChargeRequest("R404A", Decimal("4"), Occasion.MAINTENANCE, _day(5)))
    (movement,) = q.movements(conn, fleet.unit)
    assert movement["leak_case_id"] is None and movement["emergency"] is None
    steps = [(t["from_status"], t["to_status"]) for t in q.transitions(conn, ticket_id)]
    assert steps[0] == (None, "open") and steps[-1] == ("verified", "closed") and len(steps) == 6


def test_a_repaired_but_unverified_leak_is_still_open_for_charging(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d3) 2.: no charge until the repair is confirmed
    _repair(conn, fleet, _leak(conn, fleet), through=Status.REPAIRED)
    with pytest.raises(ChargeRefused):
        _charge(conn, fleet, ChargeRequest("R404A", Decimal("4"), Occasion.MAINTENANCE, _day(5)))


@pytest.mark.parametrize(("planned_day", "allowed"), [(60, True), (61, False)])
def test_a_repair_planned_on_day_60_is_accepted_and_on_day_61_refused(
    conn: psycopg.Connection, fleet: Fleet, planned_day: int, allowed: bool
) -> None:
    # REGULATION.md (d2) case 2: repair within 60 days, confirmation day = day 0 (REPAIR_WITHIN_DAYS)
    _leak(conn, fleet)
    if allowed:
        _charge(conn, fleet, _emergency(planned_day=planned_day))
    else:
        with pytest.raises(ChargeRefused, match="later than 2026-05-01"):
            _charge(conn, fleet, _emergency(planned_day=planned_day))
    assert len(q.movements(conn, fleet.unit)) == int(allowed)


def test_an_emergency_charge_attempted_on_day_61_is_refused(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d2) case 2: after the 60 days no emergency charge without the repair
    _leak(conn, fleet)
    with pytest.raises(ChargeRefused, match="ended on 2026-05-01"):
        _charge(conn, fleet, _emergency(charged_day=61, planned_day=60))


def test_a_refrigerant_mismatch_is_refused_with_the_reason(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d3) 3.: the nameplate's refrigerant (R404A) or an approved lower-GWP one
    with pytest.raises(ChargeRefused, match="R410A is not the nameplate's R404A"):
        _charge(conn, fleet, ChargeRequest("R410A", Decimal("2"), Occasion.MAINTENANCE, _day(3)))
    (row,) = q.refusals(conn, fleet.unit)
    assert row["rule"] == "REGULATION.md (d3) 3." and row["refrigerant"] == "R410A"


def test_a_hydrocarbon_is_never_charged_into_a_fluorocarbon_unit(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d3) cautions: never fill a propane-type "natural" refrigerant
    conn.execute("UPDATE equipment SET approved_replacements = '{R290}' WHERE id = %s", (fleet.unit,))
    with pytest.raises(ChargeRefused, match="not a fluorocarbon"):
        _charge(conn, fleet, ChargeRequest("R290", Decimal("1"), Occasion.MAINTENANCE, _day(3)))


def test_an_approved_lower_gwp_replacement_is_charged(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d3) 3.: equipment.approved_replacements holds what manager and manufacturer accepted
    conn.execute("UPDATE equipment SET approved_replacements = '{R448A}' WHERE id = %s", (fleet.unit,))
    _charge(conn, fleet, ChargeRequest("R448A", Decimal("2"), Occasion.MAINTENANCE, _day(3)))
    assert q.movements(conn, fleet.unit)[0]["refrigerant"] == "R448A"


def test_a_hard_to_reach_leak_needs_the_reason_and_a_planned_date(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d2) case 1, (e) logbook item 6
    leak_id = _leak(conn, fleet)
    reason = "piping inside the wall; repair needs demolition"
    with pytest.raises(ChargeRefused, match="planned repair date"):
        _charge(conn, fleet, ChargeRequest("R404A", Decimal("3"), Occasion.MAINTENANCE, _day(90),
                                           hard_to_reach_reason=reason))  # fmt: skip
    _charge(conn, fleet, ChargeRequest("R404A", Decimal("3"), Occasion.MAINTENANCE, _day(90), planned_repair_on=
                                       _day(300), hard_to_reach_reason=reason))  # fmt: skip
    leak = q.leak_case_by_id(conn, leak_id)
    assert leak is not None and (leak.hard_to_reach_reason, leak.planned_repair_on) == (reason, _day(300))


def test_a_contractor_not_assigned_to_the_site_cannot_charge(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (i): the charge is made by the contractor the site engaged
    request = ChargeRequest("R404A", Decimal("2"), Occasion.MAINTENANCE, _day(3))
    with pytest.raises(NotPermitted, match="not registered to serve"):
        _charge(conn, fleet, request, person=fleet.outsider, contractor_id=fleet.outsider_id)
    with pytest.raises(NotPermitted, match="only the unit's manager or the site's contractor"):
        _charge(conn, fleet, request, person=fleet.outsider)
    assert q.movements(conn, fleet.unit) == []


def test_a_contractor_not_assigned_to_the_site_cannot_act_on_its_tickets(
    conn: psycopg.Connection, fleet: Fleet
) -> None:
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=_leak(conn, fleet), opened_at=_at(0))
    with pytest.raises(NotPermitted):
        transition(conn, ticket_id, fleet.outsider, Status.DISPATCHED, at=_at(1))
    with pytest.raises(NotPermitted, match="not registered to serve"):
        open_ticket(conn, fleet.unit, 1, leak_case_id=None, opened_at=_at(0), contractor_id=fleet.outsider_id)
    conn.execute("DELETE FROM site_contractor WHERE contractor_id = %s", (fleet.contractor_id,))
    with pytest.raises(NotPermitted, match="not registered to serve"):  # the site no longer engages it
        transition(conn, ticket_id, fleet.technician, Status.DISPATCHED, at=_at(1))
    transition(conn, ticket_id, fleet.world.manager, Status.CANCELLED, at=_at(1), cancel_reason="contract ended")


def test_a_ticket_goes_to_the_sites_contractor_and_needs_one(conn: psycopg.Connection, fleet: Fleet) -> None:
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=None, opened_at=_at(0))
    ticket = q.ticket_by_id(conn, ticket_id)
    assert ticket is not None and (ticket.contractor_id, ticket.status) == (fleet.contractor_id, Status.OPEN)
    with pytest.raises(NotPermitted, match="no contractor is registered"):
        open_ticket(conn, fleet.world.other_unit, 1, leak_case_id=None, opened_at=_at(0))


def test_the_ticket_refuses_a_jump_a_missing_qualified_person_and_a_viewer(
    conn: psycopg.Connection, fleet: Fleet
) -> None:
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=None, opened_at=_at(0))
    with pytest.raises(TicketTransitionError, match="moves next to dispatched"):  # REGULATION.md (d1)
        transition(conn, ticket_id, fleet.technician, Status.REPAIRED, at=_at(1), qualified_person=QUALIFIED)
    transition(conn, ticket_id, fleet.world.manager, Status.DISPATCHED, at=_at(1))
    with pytest.raises(TicketTransitionError, match="十分な知見を有する者"):  # REGULATION.md (b2)
        transition(conn, ticket_id, fleet.technician, Status.LEAK_LOCATED, at=_at(2))
    viewer = add_user(conn, "viewer@acme.example.jp", "viewer", site_id=fleet.world.site_id)
    with pytest.raises(NotPermitted):
        transition(conn, ticket_id, viewer, Status.CANCELLED, at=_at(2), cancel_reason="no")
    with pytest.raises(TicketTransitionError, match="reason"):
        transition(conn, ticket_id, fleet.world.manager, Status.CANCELLED, at=_at(2))
    assert transition(conn, ticket_id, fleet.world.branch_manager, Status.CANCELLED, at=_at(2),
                      cancel_reason="unit replaced") is Status.CANCELLED  # fmt: skip


def test_ticket_transitions_are_append_only(conn: psycopg.Connection, fleet: Fleet) -> None:
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=None, opened_at=_at(0))
    for statement in ("UPDATE ticket_transition SET note = 'rewritten' WHERE ticket_id = %s",
                      "DELETE FROM ticket_transition WHERE ticket_id = %s"):  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(statement, (ticket_id,))
    assert len(q.transitions(conn, ticket_id)) == 1


def test_a_leak_is_confirmed_once_until_its_repair_is_verified(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (d2) case 2: the 60 days run from the first confirmation
    leak_id = _leak(conn, fleet)
    assert confirm_leak(conn, fleet.unit, 1, _day(10)) == leak_id
    _repair(conn, fleet, leak_id)
    assert confirm_leak(conn, fleet.unit, 1, _day(20)) != leak_id


def test_a_recovery_certificate_is_recorded_for_the_units_refrigerant(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (f): recovery certificate, kind and amount recovered
    _leak(conn, fleet)  # no leak rule on recovery
    recovery = Recovery("R404A", Decimal("10.5"), _day(2))
    record_recovery(conn, fleet.unit, 1, recovery, certificate_no="R-0001", contractor_id=fleet.contractor_id,
                    qualified_person=QUALIFIED, person=fleet.technician)  # fmt: skip
    assert q.movements(conn, fleet.unit)[0]["kind"] == "recovery"
    for wrong, match in ((Recovery("R410A", Decimal("1"), _day(2)), "not the refrigerant of the unit"),
                         (Recovery("R404A", Decimal("0"), _day(2)), "not a recovery")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            record_recovery(conn, fleet.unit, 1, wrong, certificate_no="R-0002", contractor_id=fleet.contractor_id,
                            qualified_person=QUALIFIED, person=fleet.technician)  # fmt: skip
