"""The lifecycle's rules: who may close a leak alert (REGULATION.md (p) ニ: a notification others cannot easily
cancel), the moves an alert can make, and when an unacknowledged leak alert escalates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.lifecycle import (
    Action,
    Grant,
    Person,
    Scope,
    Status,
    TransitionError,
    escalation_due,
    may_close,
    next_status,
)

SITE, OTHER_SITE, BRANCH, COMPANY, OTHER_COMPANY = 10, 11, 2, 1, 99
SCOPE = Scope(SITE, (BRANCH, COMPANY))
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def person(role: str, **where: int) -> Person:
    return Person(1, role, (Grant(role, **where),))


@pytest.mark.parametrize(
    "who",
    [person("manager", site_id=SITE), person("manager", organisation_id=BRANCH),
     person("manager", organisation_id=COMPANY)],
    ids=["site manager", "branch manager", "company manager"],
)  # fmt: skip
def test_the_units_manager_at_any_level_above_it_may_close_a_leak_alert(who: Person) -> None:
    assert may_close(who, SCOPE, "leak").allowed


@pytest.mark.parametrize(
    "who",
    [person("admin", organisation_id=COMPANY), person("viewer", site_id=SITE), person("contractor", contractor_id=5),
     person("manager", site_id=OTHER_SITE), person("manager", organisation_id=OTHER_COMPANY)],
    ids=["admin", "viewer", "contractor", "another site's manager", "another company's manager"],
)  # fmt: skip
def test_nobody_else_may_close_a_leak_alert(who: Person) -> None:
    decision = may_close(who, SCOPE, "leak")
    assert not decision.allowed
    assert "only the unit's manager or a delegate" in decision.reason


def test_a_delegate_named_by_the_units_manager_may_close_it_and_one_named_by_another_may_not() -> None:
    delegate = person("viewer", site_id=SITE)
    assert may_close(delegate, SCOPE, "leak", [person("manager", site_id=SITE)]).reason.startswith("delegate of")
    assert not may_close(delegate, SCOPE, "leak", [person("manager", site_id=OTHER_SITE)]).allowed


def test_an_admin_may_close_other_faults_but_not_leaks() -> None:
    admin = person("admin", organisation_id=COMPANY)
    assert may_close(admin, SCOPE, "condenser_fouling").allowed
    assert not may_close(admin, SCOPE, "leak").allowed


def test_raised_acknowledged_resolved_and_no_way_back() -> None:
    assert next_status(Status.RAISED, Action.ACKNOWLEDGE) is Status.ACKNOWLEDGED
    assert next_status(Status.ACKNOWLEDGED, Action.RESOLVE) is Status.RESOLVED
    assert next_status(Status.RAISED, Action.RESOLVE) is Status.RESOLVED
    with pytest.raises(TransitionError, match="already acknowledged"):
        next_status(Status.ACKNOWLEDGED, Action.ACKNOWLEDGE)
    with pytest.raises(TransitionError, match="already resolved"):
        next_status(Status.RESOLVED, Action.ACKNOWLEDGE)


def test_an_unacknowledged_leak_alert_escalates_after_each_delay_up_to_the_company() -> None:
    def due(level: int, after: timedelta, status: Status = Status.RAISED, category: str = "leak") -> bool:
        return escalation_due(category, status, T0, level, 2, T0 + after)

    assert not due(0, timedelta(hours=3, minutes=59))
    assert due(0, timedelta(hours=4))
    assert not due(1, timedelta(hours=7, minutes=59)) and due(1, timedelta(hours=8))
    assert not due(2, timedelta(days=30))  # already at the company: nowhere further to go
    assert not due(0, timedelta(hours=5), status=Status.ACKNOWLEDGED)
    assert not due(0, timedelta(hours=5), category="sensor_drift")
