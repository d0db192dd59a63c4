"""The ticket state machine, who may act, and the repair deadline, as pure rules (compliance.tickets)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alerts.lifecycle import Grant, Person, Scope
from compliance.tickets import (
    LeakCase,
    QualifiedPerson,
    Status,
    TicketTransitionError,
    check_transition,
    may_act,
    next_status,
    reminders_due,
    repair_deadline_status,
)

QUALIFIED = QualifiedPerson("佐藤 一郎", "JARAC-T-012345")
SCOPE = Scope(site_id=10, organisations=(3, 1))  # site 10 in branch 3 of company 1
CONTRACTOR = 7
CONFIRMED = date(2026, 7, 1)  # day 0


def _person(*grants: Grant) -> Person:
    return Person(1, "someone", grants)


def test_a_ticket_follows_the_order_of_work_to_closed() -> None:
    # REGULATION.md (d1): leak found -> locate -> repair -> confirm no longer leaking
    path = [Status.DISPATCHED, Status.LEAK_LOCATED, Status.REPAIRED, Status.VERIFIED, Status.CLOSED]
    current = Status.OPEN
    for target in path:
        current = check_transition(current, target, qualified_person=QUALIFIED)
    assert current is Status.CLOSED


@pytest.mark.parametrize(("current", "target"), [
    (Status.OPEN, Status.REPAIRED),  # no repair before the leak is located
    (Status.DISPATCHED, Status.VERIFIED),
    (Status.LEAK_LOCATED, Status.CLOSED),
    (Status.REPAIRED, Status.DISPATCHED),  # no way back
])  # fmt: skip
def test_a_jump_over_a_step_is_refused(current: Status, target: Status) -> None:
    # REGULATION.md (d1): the order of work
    with pytest.raises(TicketTransitionError, match="moves next to"):
        next_status(current, target)


@pytest.mark.parametrize("final", [Status.CLOSED, Status.CANCELLED])
def test_a_final_ticket_does_not_move(final: Status) -> None:
    with pytest.raises(TicketTransitionError, match="final"):
        next_status(final, Status.CANCELLED)


def test_cancelling_needs_a_reason_from_any_state_that_is_not_final() -> None:
    for current in (Status.OPEN, Status.DISPATCHED, Status.LEAK_LOCATED, Status.REPAIRED, Status.VERIFIED):
        with pytest.raises(TicketTransitionError, match="reason"):
            check_transition(current, Status.CANCELLED, qualified_person=None, cancel_reason="  ")
        assert check_transition(current, Status.CANCELLED, qualified_person=None, cancel_reason="unit replaced")


@pytest.mark.parametrize(("current", "target"), [
    (Status.DISPATCHED, Status.LEAK_LOCATED), (Status.LEAK_LOCATED, Status.REPAIRED)
])  # fmt: skip
def test_locating_and_repairing_need_a_qualified_person(current: Status, target: Status) -> None:
    # REGULATION.md (b2) 十分な知見を有する者, (d3) 5.
    with pytest.raises(TicketTransitionError, match="十分な知見を有する者"):
        check_transition(current, target, qualified_person=None)
    assert check_transition(current, target, qualified_person=QUALIFIED) is target


def test_a_qualified_person_has_a_name_and_a_qualification_number() -> None:
    # REGULATION.md (b2); (f) the technician's name and qualification number on the certificate
    with pytest.raises(ValueError, match="qualification number"):
        QualifiedPerson("佐藤 一郎", " ")


def test_the_sites_contractor_and_the_units_managers_may_act() -> None:
    contractor = _person(Grant("contractor", contractor_id=CONTRACTOR))
    assert may_act(contractor, SCOPE, CONTRACTOR, site_contractors={CONTRACTOR}).allowed
    assert may_act(_person(Grant("manager", site_id=10)), SCOPE, CONTRACTOR, {CONTRACTOR}).allowed
    assert may_act(_person(Grant("manager", organisation_id=3)), SCOPE, CONTRACTOR, {CONTRACTOR}).allowed


def test_a_contractor_not_serving_the_site_may_not_act() -> None:
    contractor = _person(Grant("contractor", contractor_id=CONTRACTOR))
    refused = may_act(contractor, SCOPE, CONTRACTOR, site_contractors={8})
    assert not refused.allowed and "not registered to serve" in refused.reason


@pytest.mark.parametrize("grant", [
    Grant("contractor", contractor_id=8),  # another contractor
    Grant("viewer", site_id=10),
    Grant("admin", organisation_id=1),
    Grant("manager", site_id=11),  # the manager of another site
])  # fmt: skip
def test_nobody_else_may_act(grant: Grant) -> None:
    refused = may_act(_person(grant), SCOPE, CONTRACTOR, site_contractors={CONTRACTOR, 8})
    assert not refused.allowed and "only the unit's manager or the site's contractor" in refused.reason


def _leak(repaired_on: date | None = None) -> LeakCase:
    return LeakCase(1, 1, 1, CONFIRMED, repaired_on=repaired_on)


def test_the_repair_deadline_counts_down_and_is_overdue_after_day_60() -> None:
    # REGULATION.md (d2) case 2: confirmation day = day 0, the repair by day 60
    on_day_60 = repair_deadline_status(_leak(), CONFIRMED + timedelta(days=60))
    assert (on_day_60.deadline, on_day_60.days_left, on_day_60.overdue) == (date(2026, 8, 30), 0, False)
    on_day_61 = repair_deadline_status(_leak(), CONFIRMED + timedelta(days=61))
    assert (on_day_61.days_left, on_day_61.overdue) == (-1, True)


def test_a_repaired_leak_is_not_overdue() -> None:
    status = repair_deadline_status(_leak(repaired_on=CONFIRMED + timedelta(days=59)), CONFIRMED + timedelta(days=90))
    assert not status.overdue


def test_reminders_fall_30_14_7_and_1_days_before_the_deadline() -> None:
    deadline = date(2026, 8, 30)
    assert reminders_due(deadline - timedelta(days=31), deadline) == ()
    assert reminders_due(deadline - timedelta(days=30), deadline) == (30,)
    assert reminders_due(deadline - timedelta(days=10), deadline, already_sent=(30,)) == (14,)
    assert reminders_due(deadline - timedelta(days=10), deadline, already_sent=(30, 14)) == ()
    assert reminders_due(deadline - timedelta(days=1), deadline, already_sent=(30, 14, 7)) == (1,)
    assert reminders_due(deadline + timedelta(days=1), deadline) == ()  # overdue instead


def test_a_missed_reminder_day_is_not_lost() -> None:
    deadline = date(2026, 8, 30)
    assert reminders_due(deadline - timedelta(days=5), deadline, already_sent=(30,)) == (14, 7)
