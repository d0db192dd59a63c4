"""Who may write a unit's logbook (compliance.logbook_access): a pure rule, no database."""

from __future__ import annotations

import pytest

from alerts.lifecycle import Grant, Person, Scope
from compliance.logbook_access import may_write_logbook

SITE, OTHER_SITE, BRANCH, COMPANY, OTHER_COMPANY = 10, 11, 2, 1, 9
SCOPE = Scope(SITE, (BRANCH, COMPANY))
SERVING, NOT_SERVING = 5, 6


def _person(*grants: Grant) -> Person:
    return Person(1, "someone", grants)


@pytest.mark.parametrize(
    ("grant", "reason"),
    [
        (Grant("manager", site_id=SITE), "manager of the unit's site"),
        (Grant("manager", organisation_id=BRANCH), "manager of the unit's site"),
        (Grant("admin", organisation_id=COMPANY), "admin of the unit's site"),
        (Grant("admin", site_id=SITE), "admin of the unit's site"),
        (Grant("contractor", contractor_id=SERVING), "the contractor serving the unit's site"),
    ],
)
def test_managers_admins_and_the_serving_contractor_may_write(grant: Grant, reason: str) -> None:
    decision = may_write_logbook(_person(grant), SCOPE, {SERVING})
    assert (decision.allowed, decision.reason) == (True, reason)


@pytest.mark.parametrize(
    "grants",
    [
        (Grant("viewer", site_id=SITE),),
        (Grant("viewer", organisation_id=COMPANY),),
        (Grant("manager", site_id=OTHER_SITE),),
        (Grant("admin", organisation_id=OTHER_COMPANY),),
        (Grant("contractor", contractor_id=NOT_SERVING),),
        (),
    ],
)
def test_viewers_people_elsewhere_and_other_contractors_may_not(grants: tuple[Grant, ...]) -> None:
    decision = may_write_logbook(_person(*grants), SCOPE, {SERVING})
    assert not decision.allowed
    who = grants[0].role if grants else "no role"
    assert decision.reason.endswith(f"may write its logbook ({who} may not)")


def test_a_viewer_at_the_site_who_manages_elsewhere_may_not_but_one_grant_that_covers_is_enough() -> None:
    viewer_here = Grant("viewer", site_id=SITE)
    assert not may_write_logbook(_person(viewer_here, Grant("manager", site_id=OTHER_SITE)), SCOPE, ()).allowed
    assert may_write_logbook(_person(viewer_here, Grant("manager", organisation_id=COMPANY)), SCOPE, ()).allowed
