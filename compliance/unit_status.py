"""A unit's and a site's status at a glance (a traffic light), as pure rules.

A unit's colour is the worst that applies to it, each with a reason a manager can act on:

* **red**: an open leak alert (raised or acknowledged, not resolved); a confirmed leak not yet repaired and
  verified (REGULATION.md (d1)); an inspection overdue (compliance.schedule: red, including a unit with no
  inspection and no installation date on record).
* **amber**: another open alert (a fault that is not a leak); an inspection due soon (compliance.schedule: green,
  from the lead time before its due date through the due date).
* **green**: none of these.
* **grey**: the unit is disposed of (no inspection is due; it counts for no site's colour).

A site's colour is the worst colour of its units in service; a site without units in service is grey.

The inspection colours of the due list stay those of compliance.schedule (black, green, red, RaMS); the
traffic light here is a different scale on purpose: "due soon" is something to do, so it is amber here.

The periodic inspection needs each circuit's summed rated output (REGULATION.md (b2)); a unit registered without
its compressors cannot be scheduled for it: `equipment_of` then schedules from the circuits that have them, and
``periodic_unknown`` says so. Dates are passed in; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from compliance.schedule import DEFAULT_LEAD_DAYS, DueStatus, InspectionDue, UnitInspections, UnitSchedule, schedule
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.inspection_rules import LegalCategory

# A stand-in for a circuit whose compressors are not registered: it lets the simple inspection be scheduled and
# needs no periodic inspection by itself (`periodic_unknown` is set instead).
_UNKNOWN_OUTPUT_KW = Decimal("0.001")


class Colour(StrEnum):
    GREY = "grey"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


_RANK = {Colour.GREY: 0, Colour.GREEN: 1, Colour.AMBER: 2, Colour.RED: 3}


@dataclass(frozen=True)
class UnitFacts:
    """What the status of one unit is decided from."""

    disposed_on: date | None
    open_leak_alerts: int
    open_other_alerts: int
    open_leak_cases: int  # confirmed leaks not yet verified repaired
    inspections: Sequence[InspectionDue]  # compliance.schedule.UnitSchedule.inspections()


@dataclass(frozen=True)
class Status:
    colour: Colour
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CircuitFacts:
    circuit_no: int
    charge_kg: Decimal | None
    compressors_kw: tuple[Decimal, ...]


def worst(colours: Iterable[Colour]) -> Colour:
    return max(colours, key=_RANK.__getitem__, default=Colour.GREY)


def _inspection_reason(due: InspectionDue) -> tuple[Colour, str] | None:
    kind = f"{due.kind.value} inspection"
    if due.status is DueStatus.OVERDUE:
        if due.due_on is None:
            return Colour.RED, f"{kind} overdue: no inspection and no installation date on record"
        return Colour.RED, f"{kind} overdue since {due.due_on}"
    if due.status is DueStatus.DUE_SOON:
        before = " (before the unit runs again)" if due.due_before_restart else ""
        return Colour.AMBER, f"{kind} due by {due.due_on}{before}"
    return None


def unit_status(facts: UnitFacts, today: date) -> Status:
    """The unit's colour on ``today`` and every reason for it, red ones first."""
    if facts.disposed_on is not None and facts.disposed_on <= today:
        return Status(Colour.GREY, (f"disposed of on {facts.disposed_on}",))
    found: list[tuple[Colour, str]] = []
    if facts.open_leak_alerts:
        found.append((Colour.RED, f"{facts.open_leak_alerts} open leak alert(s)"))
    if facts.open_leak_cases:
        found.append((Colour.RED, f"{facts.open_leak_cases} confirmed leak(s) not yet repaired and verified"))
    found.extend(r for r in map(_inspection_reason, facts.inspections) if r is not None)
    if facts.open_other_alerts:
        found.append((Colour.AMBER, f"{facts.open_other_alerts} other open alert(s)"))
    if not found:
        return Status(Colour.GREEN, ())
    found.sort(key=lambda r: -_RANK[r[0]])
    return Status(worst(c for c, _ in found), tuple(reason for _, reason in found))


def site_colour(unit_colours: Iterable[Colour]) -> Colour:
    """The worst colour of the site's units in service; grey when it has none."""
    return worst(c for c in unit_colours if c is not Colour.GREY)


def equipment_of(
    management_no: str, kind: str, refrigerant: str, charge_kg: Decimal, circuits: Sequence[CircuitFacts], *,
    installed_on: date | None, disposed_on: date | None, legal_category_override: str | None,
) -> tuple[Equipment, bool]:  # fmt: skip
    """The register's unit as compliance.schedule takes it, and whether its periodic inspection is unknown (a
    circuit, or the whole unit, registered without compressors)."""
    known = [c for c in circuits if c.compressors_kw]
    unknown = len(known) < len(circuits) or not circuits
    usable = known or [CircuitFacts(circuits[0].circuit_no if circuits else 1, None, (_UNKNOWN_OUTPUT_KW,))]
    unit = Equipment(
        management_no=management_no, kind=EquipmentKind(kind), refrigerant=refrigerant, charge_kg=charge_kg,
        circuits=tuple(RefrigerantCircuit(c.circuit_no, tuple(Compressor(kw) for kw in c.compressors_kw), c.charge_kg)
                       for c in usable),
        installed_on=installed_on, disposed_on=disposed_on,
        legal_category_override=LegalCategory(legal_category_override) if legal_category_override else None,
    )  # fmt: skip
    return unit, unknown


@dataclass(frozen=True)
class Assessment:
    status: Status
    schedule: UnitSchedule
    periodic_unknown: bool
    legal_category: str  # the override, else the kind's default (REGULATION.md (b2))


def assess(unit: Mapping[str, Any], today: date, lead_days: int = DEFAULT_LEAD_DAYS) -> Assessment:
    """Status and inspection schedule of a unit as storage.equipment_queries.units returns it."""
    circuits = [
        CircuitFacts(int(c["circuit_no"]), _decimal(c["charge_kg"]), tuple(Decimal(k) for k in c["compressors_kw"]))
        for c in unit["circuits"]
    ]
    equipment, periodic_unknown = equipment_of(
        unit["management_no"], unit["kind"], unit["refrigerant"], Decimal(unit["charge_kg"]), circuits,
        installed_on=unit["installed_on"], disposed_on=unit["disposed_on"],
        legal_category_override=unit["legal_category_override"],
    )  # fmt: skip
    periods = tuple((date.fromisoformat(str(s)), date.fromisoformat(str(e))) for s, e in unit["monitoring_periods"])
    inspections = UnitInspections(equipment, last_simple=unit["last_simple"], last_periodic=unit["last_periodic"],
                                  monitoring_periods=periods)  # fmt: skip
    plan = schedule(inspections, today, lead_days)
    facts = UnitFacts(unit["disposed_on"], int(unit["open_leak_alerts"]), int(unit["open_other_alerts"]),
                      int(unit["open_leak_cases"]), plan.inspections())  # fmt: skip
    return Assessment(unit_status(facts, today), plan, periodic_unknown, equipment.legal_category.value)


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))
