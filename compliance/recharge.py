"""The law on charging refrigerant into a unit, as pure rules (REGULATION.md (d), (d2), (d3)).

* A unit with a confirmed, unrepaired leak must not be charged (d1) except in the two unavoidable cases (d2):
  case 1, a leak extremely hard to locate or repair (the reason and a planned repair date are recorded, logbook
  item 6); case 2, a single emergency charge, for human health, the hygiene of stored goods or keeping the
  business running, when the repair is certain within 60 days of the date the leak was confirmed — once only
  per leak.
* The refrigerant must be the nameplate's, or a lower-GWP one the manager agreed to and the manufacturer accepts
  for the unit (d3 3.).
* Installation charges and charges after a verified repair are not charges into a leaking unit.

Day counting (REGULATION.md (d2), (o): the seeds do not fix it): the confirmation day is day 0, so the last day the
repair may be done is ``confirmed_on + 60 days`` — ``REPAIR_WITHIN_DAYS`` below, the one place that decides it.
Dates are passed in; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from fluorowatch.domain.refrigerants import RefrigerantRegistry, normalise_refrigerant_name

REPAIR_WITHIN_DAYS = 60  # (d2) case 2: repair within 60 days of the date the leak was confirmed
EMERGENCY_CHARGES_PER_LEAK = 1  # (d2) case 2: once only (1回に限り)


class Occasion(StrEnum):
    INSTALLATION = "installation"  # 設置時: excluded from calculated leakage (g1)
    MAINTENANCE = "maintenance"  # 整備時
    DISPOSAL = "disposal"


class Emergency(StrEnum):
    """(d2) case 2: why the single emergency charge cannot wait for the repair."""

    HEALTH = "health"  # air conditioning needed for environmental hygiene (e.g. ICU, staff in summer)
    GOODS = "goods"  # hygienic control of the goods being cooled
    BUSINESS = "business"  # keeping the business running (e.g. a 24-hour store)


@dataclass(frozen=True)
class OpenLeak:
    """A confirmed leak on the unit that is not yet repaired and verified."""

    confirmed_on: date
    emergency_charges: int  # emergency charges already made for this leak


@dataclass(frozen=True)
class ChargeRequest:
    refrigerant: str
    kg: Decimal
    occasion: Occasion
    charged_on: date
    emergency: Emergency | None = None
    planned_repair_on: date | None = None
    hard_to_reach_reason: str = ""  # (d2) case 1


@dataclass(frozen=True)
class ChargeDecision:
    allowed: bool
    rule: str  # the rule applied, e.g. "REGULATION.md (d2) case 2"
    message: str
    emergency: bool = False  # an accepted emergency charge: it counts against the leak's one


def repair_deadline(confirmed_on: date) -> date:
    """The last day on which the repair may be done for an emergency charge to be lawful."""
    return confirmed_on + timedelta(days=REPAIR_WITHIN_DAYS)


def judge_charge(
    request: ChargeRequest,
    *,
    nameplate: str,
    approved_replacements: Collection[str],
    open_leak: OpenLeak | None,
    registry: RefrigerantRegistry,
) -> ChargeDecision:
    """Whether the charge may be made, with the rule and a message a contractor can act on."""
    if request.kg <= 0:
        return ChargeDecision(False, "REGULATION.md (f)", f"a charge of {request.kg} kg is not a charge")
    refused = judge_refrigerant(request.refrigerant, nameplate, approved_replacements, registry)
    if refused is not None:
        return refused
    if open_leak is None or request.occasion is not Occasion.MAINTENANCE:
        return ChargeDecision(True, "REGULATION.md (d3)", "no unrepaired leak on record: the charge may be made")
    if request.hard_to_reach_reason.strip():
        return _hard_to_reach(request)
    if request.emergency is None:
        return ChargeDecision(
            False,
            "REGULATION.md (d1), (d2)",
            f"the leak confirmed on {open_leak.confirmed_on} is not repaired: charging before the repair is "
            "prohibited unless it is declared the single emergency charge (health, goods or business) with the "
            f"repair planned by {repair_deadline(open_leak.confirmed_on)}, or the leak is extremely hard to reach",
        )
    return _emergency(request, open_leak)


def _emergency(request: ChargeRequest, leak: OpenLeak) -> ChargeDecision:
    deadline = repair_deadline(leak.confirmed_on)
    rule = "REGULATION.md (d2) case 2"
    if leak.emergency_charges >= EMERGENCY_CHARGES_PER_LEAK:
        return ChargeDecision(
            False,
            rule,
            f"the emergency charge for the leak confirmed on {leak.confirmed_on} has "
            "been made already: it is allowed once only; no further charge before the repair",
        )
    if request.planned_repair_on is None:
        return ChargeDecision(False, rule, f"an emergency charge needs the planned repair date (by {deadline})")
    if request.planned_repair_on > deadline:
        return ChargeDecision(
            False,
            rule,
            f"the repair planned on {request.planned_repair_on} is later than "
            f"{deadline}, 60 days after the leak was confirmed on {leak.confirmed_on}",
        )
    if request.charged_on > deadline:
        return ChargeDecision(
            False,
            rule,
            f"the 60 days after the leak was confirmed on {leak.confirmed_on} ended "
            f"on {deadline}: no emergency charge without the repair",
        )
    return ChargeDecision(
        True,
        rule,
        f"single emergency charge ({request.emergency}); the repair must be done by {deadline}",
        emergency=True,
    )


def _hard_to_reach(request: ChargeRequest) -> ChargeDecision:
    rule = "REGULATION.md (d2) case 1, (e) item 6"
    if request.planned_repair_on is None:
        return ChargeDecision(
            False,
            rule,
            "a leak extremely hard to locate or repair needs the planned repair date on record (logbook item 6)",
        )
    return ChargeDecision(
        True,
        rule,
        f"leak extremely hard to locate or repair ({request.hard_to_reach_reason.strip()});"
        f" repair planned on {request.planned_repair_on}",
    )


def judge_refrigerant(
    charged: str, nameplate: str, approved_replacements: Collection[str], registry: RefrigerantRegistry
) -> ChargeDecision | None:
    """None when the refrigerant may go into the unit, else the refusal (REGULATION.md (d3) 3.)."""
    rule = "REGULATION.md (d3) 3."
    name, designated = normalise_refrigerant_name(charged), normalise_refrigerant_name(nameplate)
    if name == designated:
        return None
    approved = {normalise_refrigerant_name(r) for r in approved_replacements}
    if name not in approved:
        return ChargeDecision(
            False,
            rule,
            f"{name} is not the nameplate's {designated} nor a replacement the manager "
            "agreed to and the manufacturer accepts for this unit",
        )
    if registry.gwp(name) >= registry.gwp(designated):
        return ChargeDecision(
            False,
            rule,
            f"{name} (GWP {registry.gwp(name)}) is not lower in GWP than the "
            f"nameplate's {designated} (GWP {registry.gwp(designated)})",
        )
    return None
