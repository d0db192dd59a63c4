"""The pure charging rules of compliance.recharge (REGULATION.md (d1), (d2), (d3) 3.): dates passed in."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from compliance.recharge import (
    REPAIR_WITHIN_DAYS,
    ChargeRequest,
    Emergency,
    Occasion,
    OpenLeak,
    judge_charge,
    judge_refrigerant,
    repair_deadline,
)
from fluorowatch.domain.refrigerants import RefrigerantRegistry

REGISTRY = RefrigerantRegistry.default()
CONFIRMED = date(2026, 7, 1)  # day 0
LEAK = OpenLeak(CONFIRMED, emergency_charges=0)


def _day(n: int) -> date:
    return CONFIRMED + timedelta(days=n)


def _emergency(*, charged_day: int = 1, planned_day: int | None = 30, leak: OpenLeak = LEAK) -> bool:
    request = ChargeRequest("R404A", Decimal("2.5"), Occasion.MAINTENANCE, _day(charged_day), Emergency.GOODS,
                            _day(planned_day) if planned_day is not None else None)  # fmt: skip
    return judge_charge(request, nameplate="R404A", approved_replacements=(), open_leak=leak, registry=REGISTRY).allowed


def test_the_repair_deadline_is_day_60_counting_the_confirmation_day_as_day_0() -> None:
    # REGULATION.md (d2) case 2 "within 60 days of the date the leak was confirmed"; (d2) interpretation
    assert REPAIR_WITHIN_DAYS == 60
    assert repair_deadline(CONFIRMED) == _day(60) == date(2026, 8, 30)


def test_the_first_emergency_charge_is_accepted_inside_60_days() -> None:
    # REGULATION.md (d2) case 2: once only, repair certain within 60 days
    assert _emergency()


def test_a_second_emergency_charge_for_the_same_leak_is_refused() -> None:
    # REGULATION.md (d2) case 2: 1回に限り
    assert not _emergency(leak=OpenLeak(CONFIRMED, emergency_charges=1))


def test_a_repair_planned_on_day_60_is_accepted_and_on_day_61_refused() -> None:
    # REGULATION.md (d2) case 2: the repair by confirmed_on + 60 days
    assert _emergency(planned_day=60)
    assert not _emergency(planned_day=61)


def test_an_emergency_charge_attempted_on_day_61_is_refused() -> None:
    # REGULATION.md (d2) case 2: after the 60 days there is no emergency charge without the repair
    assert _emergency(charged_day=60, planned_day=60)
    assert not _emergency(charged_day=61, planned_day=60)


def test_an_emergency_charge_without_a_planned_repair_date_is_refused() -> None:
    # REGULATION.md (d2) case 2: the repair must be certain (planned) within the 60 days
    assert not _emergency(planned_day=None)


def test_a_maintenance_charge_into_a_leaking_unit_without_a_declaration_is_refused() -> None:
    # REGULATION.md (d1) 3., (d3) 2.: no charging into an unrepaired unit
    request = ChargeRequest("R404A", Decimal("2.5"), Occasion.MAINTENANCE, _day(1))
    decision = judge_charge(request, nameplate="R404A", approved_replacements=(), open_leak=LEAK, registry=REGISTRY)
    assert not decision.allowed
    assert decision.rule == "REGULATION.md (d1), (d2)"
    assert str(repair_deadline(CONFIRMED)) in decision.message


@pytest.mark.parametrize(("reason", "planned", "allowed"), [
    ("piping inside the wall; repair needs demolition", _day(200), True),
    ("piping inside the wall; repair needs demolition", None, False),
])  # fmt: skip
def test_a_hard_to_reach_leak_needs_the_reason_and_a_planned_date(reason: str, planned: date | None,
                                                                   allowed: bool) -> None:  # fmt: skip
    # REGULATION.md (d2) case 1, (e) logbook item 6
    request = ChargeRequest("R404A", Decimal("3"), Occasion.MAINTENANCE, _day(90), planned_repair_on=planned,
                            hard_to_reach_reason=reason)  # fmt: skip
    decision = judge_charge(request, nameplate="R404A", approved_replacements=(), open_leak=LEAK, registry=REGISTRY)
    assert decision.allowed is allowed
    assert decision.rule.startswith("REGULATION.md (d2) case 1")


def test_the_nameplate_refrigerant_is_accepted_under_any_spelling() -> None:
    # REGULATION.md (d3) 3.: the refrigerant shown on the nameplate
    assert judge_refrigerant("HFC-404A", "R404A", (), REGISTRY) is None


def test_a_refrigerant_other_than_the_nameplate_is_refused_with_the_reason() -> None:
    # REGULATION.md (d3) 3.: no refrigerant other than the designated one
    refused = judge_refrigerant("R410A", "R404A", (), REGISTRY)
    assert refused is not None and not refused.allowed
    assert refused.rule == "REGULATION.md (d3) 3."
    assert "R410A is not the nameplate's R404A" in refused.message


def test_a_lower_gwp_approved_replacement_is_accepted() -> None:
    # REGULATION.md (d3) 3.: lower GWP, agreed by the manager and accepted by the manufacturer
    assert REGISTRY.gwp("R448A") < REGISTRY.gwp("R404A")
    assert judge_refrigerant("R448A", "R404A", ("R448A",), REGISTRY) is None


def test_a_higher_gwp_approved_replacement_is_refused() -> None:
    # REGULATION.md (d3) 3.: a replacement must be lower in GWP, approval alone is not enough
    assert REGISTRY.gwp("R507A") > REGISTRY.gwp("R404A")
    refused = judge_refrigerant("R507A", "R404A", ("R507A",), REGISTRY)
    assert refused is not None and "not lower in GWP" in refused.message


def test_a_lower_gwp_refrigerant_not_approved_for_the_unit_is_refused() -> None:
    # REGULATION.md (d3) 3.: lower GWP alone is not enough either
    assert judge_refrigerant("R448A", "R404A", (), REGISTRY) is not None
