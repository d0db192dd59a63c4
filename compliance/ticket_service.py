"""Leak cases, repair tickets and charge/recovery certificates against the database (REGULATION.md (d), (f)).

The connection is passed in and the caller commits; every moment (``at``) and date is passed in, nothing here
reads a clock. The rules are `compliance.recharge` (may the charge be made) and `compliance.tickets` (may the
ticket move, may this person act). Dates derived from a moment are Japanese calendar dates (Asia/Tokyo).

A refused charge writes a ``charge_refusal`` row in the caller's transaction and then raises `ChargeRefused`:
the refusal is information the manager needs, so the caller commits after catching it, not rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg

from alerts.lifecycle import Person, manages
from compliance.recharge import ChargeDecision, ChargeRequest, Occasion, OpenLeak, judge_charge
from compliance.tickets import NotPermitted, QualifiedPerson, Status, check_transition, may_act
from fluorowatch.domain.refrigerants import (
    OutsideTheAct,
    RefrigerantRegistry,
    UnknownRefrigerant,
    normalise_refrigerant_name,
)
from storage import alert_queries
from storage import ticket_queries as q

LOCAL_ZONE = ZoneInfo("Asia/Tokyo")


class ChargeRefused(Exception):
    """The law forbids the charge; ``decision`` says which rule and why. The refusal row is already written."""

    def __init__(self, decision: ChargeDecision) -> None:
        super().__init__(f"{decision.message} ({decision.rule})")
        self.decision = decision


class NotFound(LookupError):
    """No such unit, leak case or ticket."""


class FutureConfirmation(ValueError):
    """A leak confirmed on a day that has not come yet."""


class RepairNotStarted(ValueError):
    """A repair cannot start: its leak has a ticket in progress (one leak, one repair), or no contractor can take
    the ticket."""


@dataclass(frozen=True)
class Recovery:
    """Refrigerant recovered from a unit at maintenance or disposal (recovery certificate, REGULATION.md (f))."""

    refrigerant: str
    kg: Decimal
    recovered_on: date
    occasion: Occasion = Occasion.MAINTENANCE


def local_date(at: datetime) -> date:
    """The calendar date where the units are (Japan, UTC+9 all year): leak confirmations, repair deadlines."""
    return at.astimezone(LOCAL_ZONE).date()


def confirm_leak(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, confirmed_on: date, alert_id: int | None = None
) -> int:
    """Record that a leak on the circuit is confirmed (REGULATION.md (d1)); returns the leak case's id.

    A circuit has one open leak case: when one is open already, its id is returned and its confirmation date,
    from which the 60 days of (d2) case 2 run, stays as it was."""
    existing = q.open_leak_case(conn, equipment_id, circuit_no, lock=True)
    if existing is not None:
        return existing.id
    return q.insert_leak_case(conn, equipment_id, circuit_no, confirmed_on, alert_id)


def open_ticket(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, *, leak_case_id: int | None, opened_at: datetime,
    contractor_id: int | None = None, person: Person | None = None,
) -> int:  # fmt: skip
    """Open a repair ticket for a contractor serving the unit's site; by default the site's one contractor."""
    contractors = q.site_contractors(conn, _unit(conn, equipment_id).site_id)
    if contractor_id is None:
        if len(contractors) != 1:
            found = "no contractor is" if not contractors else f"{len(contractors)} contractors are"
            raise NotPermitted(f"{found} registered for the unit's site: name the contractor for the ticket")
        contractor_id = contractors[0]
    elif contractor_id not in contractors:
        raise NotPermitted(f"contractor {contractor_id} is not registered to serve the unit's site")
    if leak_case_id is not None:
        leak = q.leak_case_by_id(conn, leak_case_id)
        if leak is None or (leak.equipment_id, leak.circuit_no) != (equipment_id, circuit_no):
            raise NotFound(f"leak case {leak_case_id} is not a leak on unit {equipment_id} circuit {circuit_no}")
    ticket_id = q.insert_ticket(
        conn, {"equipment_id": equipment_id, "circuit_no": circuit_no, "leak_case_id": leak_case_id,
               "contractor_id": contractor_id, "opened_at": opened_at},
    )  # fmt: skip
    q.insert_transition(
        conn, ticket_id, None, Status.OPEN, at=opened_at, actor_user_id=person.user_id if person else None,
        actor=person.name if person else "system", qualified_person=None,
    )  # fmt: skip
    return ticket_id


def start_repair(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, confirmed_on: date, *, opened_at: datetime,
    alert_id: int | None = None, contractor_id: int | None = None, person: Person | None = None,
) -> tuple[int, int]:  # fmt: skip
    """Confirm the circuit's leak (REGULATION.md (d1)) and open its repair ticket: (leak case id, ticket id). A
    leak confirmed already keeps its date, day 0 of the 60 days of (d2) case 2. The caller has decided that
    ``person`` may; raises RepairNotStarted when the leak's ticket is in progress or no contractor can take it,
    NotFound when the unit has no such circuit."""
    if not q.lock_circuit(conn, equipment_id, circuit_no):  # two confirmations at once: one case, one ticket
        raise NotFound(f"unit {equipment_id} has no circuit {circuit_no}")
    case = confirm_leak(conn, equipment_id, circuit_no, confirmed_on, alert_id)
    in_progress = q.active_ticket_of_leak_case(conn, case)
    if in_progress is not None:
        raise RepairNotStarted(f"the leak is confirmed already (leak case {case}): ticket {in_progress} is in progress")
    try:
        ticket = open_ticket(conn, equipment_id, circuit_no, leak_case_id=case, opened_at=opened_at,
                             contractor_id=contractor_id, person=person)  # fmt: skip
    except NotPermitted as exc:  # about the contractor, not the person
        raise RepairNotStarted(str(exc)) from None
    return case, ticket


def open_repair_by_hand(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, person: Person, *, confirmed_on: date,
    at: datetime, contractor_id: int | None = None,
) -> tuple[int, int]:  # fmt: skip
    """A leak found without an alert (in an inspection, on a contractor's visit), confirmed by the unit's manager,
    who must then have it located and repaired (REGULATION.md (d1)): the leak case and its repair ticket."""
    unit = _unit(conn, equipment_id)
    if not manages(person, alert_queries.scope_of_site(conn, unit.site_id)):
        who = ", ".join(sorted({g.role for g in person.grants})) or "no role"
        raise NotPermitted(f"only the unit's manager opens a repair ticket by hand ({who} may not)")
    if confirmed_on > local_date(at):
        raise FutureConfirmation("leak_confirmed_on: a leak is not confirmed in the future")
    return start_repair(conn, equipment_id, circuit_no, confirmed_on, opened_at=at, contractor_id=contractor_id,
                        person=person)  # fmt: skip


def transition(
    conn: psycopg.Connection, ticket_id: int, person: Person, target: Status | str, *, at: datetime,
    qualified_person: QualifiedPerson | None = None, note: str = "", cancel_reason: str = "",
) -> Status:  # fmt: skip
    """Move the ticket to ``target`` and record the move (append-only). Repaired and verified are written to
    the leak case too: once verified, the leak is no longer open and charging is ordinary again (d3) 2."""
    ticket = q.ticket_by_id(conn, ticket_id, lock=True)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    _authorise(conn, person, _unit(conn, ticket.equipment_id), ticket.contractor_id)
    status = check_transition(
        ticket.status, Status(target), qualified_person=qualified_person, cancel_reason=cancel_reason
    )
    reason = cancel_reason.strip() if status is Status.CANCELLED else ""
    q.set_ticket_status(conn, ticket_id, status, at, reason)
    q.insert_transition(
        conn, ticket_id, ticket.status, status, at=at, actor_user_id=person.user_id, actor=person.name,
        qualified_person=qualified_person, note=note or reason,
    )  # fmt: skip
    if ticket.leak_case_id is not None and status in (Status.REPAIRED, Status.VERIFIED):
        column = "repaired_on" if status is Status.REPAIRED else "verified_on"
        q.update_leak_case(conn, ticket.leak_case_id, {column: local_date(at)})
    return status


def record_charge(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, request: ChargeRequest, *, certificate_no: str,
    contractor_id: int, qualified_person: QualifiedPerson, person: Person, at: datetime,
    ticket_id: int | None = None, issued_on: date | None = None,
) -> int:  # fmt: skip
    """Record a charge certificate when the law allows the charge (REGULATION.md (d1)-(d3), (f)); else write the
    refusal and raise `ChargeRefused`. Returns the certificate row's id."""
    unit = _unit(conn, equipment_id)
    _authorise_work(conn, person, unit, contractor_id)
    leak = q.open_leak_case(conn, equipment_id, circuit_no, lock=True)
    open_leak = None if leak is None else OpenLeak(leak.confirmed_on, q.emergency_charges(conn, leak.id))
    decision = _judge(request, unit, open_leak)
    if not decision.allowed:
        q.insert_refusal(
            conn, {"equipment_id": equipment_id, "circuit_no": circuit_no, "at": at, "actor_user_id": person.user_id,
                   "actor": person.name, "contractor_id": contractor_id, "leak_case_id": leak.id if leak else None,
                   "refrigerant": request.refrigerant, "amount_kg": request.kg, "rule": decision.rule,
                   "message": decision.message},
        )  # fmt: skip
        raise ChargeRefused(decision)
    # A charge into a leaking unit is case 1 or case 2 of (d2); it belongs to the leak case.
    leak_id = leak.id if leak is not None and request.occasion is Occasion.MAINTENANCE else None
    if leak_id is not None:
        _note_item_6(conn, leak_id, request)
    values = _certificate(conn, "charge", equipment_id, circuit_no, certificate_no, contractor_id, qualified_person)
    values.update(
        work_date=request.charged_on,
        issued_on=issued_on,
        refrigerant=request.refrigerant,
        amount_kg=request.kg,
        occasion=request.occasion.value,
        emergency=request.emergency.value if decision.emergency and request.emergency else None,
        planned_repair_on=request.planned_repair_on,
        hard_to_reach_reason=request.hard_to_reach_reason.strip(),
        leak_case_id=leak_id,
        ticket_id=_ticket_of(conn, ticket_id, equipment_id, circuit_no),
        recorded_by_user_id=person.user_id,
    )
    return q.insert_movement(conn, values)


def record_recovery(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int, recovery: Recovery, *, certificate_no: str,
    contractor_id: int, qualified_person: QualifiedPerson, person: Person, ticket_id: int | None = None,
    issued_on: date | None = None,
) -> int:  # fmt: skip
    """Record a recovery certificate (REGULATION.md (f)): no leak rule applies, but the refrigerant must be the
    unit's (nameplate or an approved replacement) and the amount positive. Returns the row's id."""
    unit = _unit(conn, equipment_id)
    _authorise_work(conn, person, unit, contractor_id)
    if recovery.kg <= 0:
        raise ValueError(f"a recovery of {recovery.kg} kg is not a recovery (REGULATION.md (f))")
    if recovery.occasion is Occasion.INSTALLATION:
        raise ValueError("a recovery is made at maintenance or disposal; only charges are made at installation")
    designated = {normalise_refrigerant_name(r) for r in (unit.refrigerant, *unit.approved_replacements)}
    if normalise_refrigerant_name(recovery.refrigerant) not in designated:
        raise ValueError(
            f"{recovery.refrigerant} is not the refrigerant of the unit ({', '.join(sorted(designated))}): a recovery "
            "certificate states the kind recovered (REGULATION.md (f) item 7)"
        )
    leak = q.open_leak_case(conn, equipment_id, circuit_no)
    values = _certificate(conn, "recovery", equipment_id, circuit_no, certificate_no, contractor_id, qualified_person)
    values.update(
        work_date=recovery.recovered_on, issued_on=issued_on, refrigerant=recovery.refrigerant,
        amount_kg=recovery.kg, occasion=recovery.occasion.value, leak_case_id=leak.id if leak else None,
        ticket_id=_ticket_of(conn, ticket_id, equipment_id, circuit_no), recorded_by_user_id=person.user_id,
    )  # fmt: skip
    return q.insert_movement(conn, values)


def _judge(request: ChargeRequest, unit: q.Unit, open_leak: OpenLeak | None) -> ChargeDecision:
    """`judge_charge`, with a name that is no refrigerant, or one outside the Act (e.g. propane), refused."""
    try:
        return judge_charge(
            request, nameplate=unit.refrigerant, approved_replacements=unit.approved_replacements,
            open_leak=open_leak, registry=RefrigerantRegistry.default(),
        )  # fmt: skip
    except (UnknownRefrigerant, OutsideTheAct) as exc:
        return ChargeDecision(False, "REGULATION.md (d3) 3.", f"{exc}; only the designated refrigerant is charged")


def _note_item_6(conn: psycopg.Connection, leak_id: int, request: ChargeRequest) -> None:
    """Logbook item 6 (REGULATION.md (e)): why the repair cannot be prompt, and when it is planned."""
    changes: dict[str, object] = {"planned_repair_on": request.planned_repair_on}
    if request.hard_to_reach_reason.strip():
        changes["hard_to_reach_reason"] = request.hard_to_reach_reason.strip()
    q.update_leak_case(conn, leak_id, changes)


def _ticket_of(conn: psycopg.Connection, ticket_id: int | None, equipment_id: int, circuit_no: int) -> int | None:
    """``ticket_id`` when it is a ticket of this circuit (the certificate's work was done under it)."""
    if ticket_id is None:
        return None
    ticket = q.ticket_by_id(conn, ticket_id)
    if ticket is None or (ticket.equipment_id, ticket.circuit_no) != (equipment_id, circuit_no):
        raise NotFound(f"ticket {ticket_id} is not a ticket of unit {equipment_id} circuit {circuit_no}")
    return ticket_id


def _certificate(
    conn: psycopg.Connection, kind: str, equipment_id: int, circuit_no: int, certificate_no: str,
    contractor_id: int, qualified_person: QualifiedPerson,
) -> dict[str, object]:  # fmt: skip
    """The certificate fields common to charge and recovery (REGULATION.md (f) items 3, 4 and the technician)."""
    if not certificate_no.strip():
        raise ValueError("a certificate needs its number (REGULATION.md (f))")
    return {
        "kind": kind, "certificate_no": certificate_no.strip(), "equipment_id": equipment_id,
        "circuit_no": circuit_no, "contractor_id": contractor_id,
        "contractor_registration_no": q.registration_no(conn, contractor_id),
        "qualified_person": qualified_person.name, "qualification_no": qualified_person.qualification_no,
    }  # fmt: skip


def _unit(conn: psycopg.Connection, equipment_id: int) -> q.Unit:
    found = q.unit(conn, equipment_id)
    if found is None:
        raise NotFound(f"no unit {equipment_id}")
    return found


def _authorise(conn: psycopg.Connection, person: Person, unit: q.Unit, contractor_id: int) -> None:
    scope = alert_queries.scope_of_site(conn, unit.site_id)
    decision = may_act(person, scope, contractor_id, q.site_contractors(conn, unit.site_id))
    if not decision.allowed:
        raise NotPermitted(decision.reason)


def _authorise_work(conn: psycopg.Connection, person: Person, unit: q.Unit, contractor_id: int) -> None:
    """Charges and recoveries are made only by a contractor that serves the site (REGULATION.md (i))."""
    if contractor_id not in q.site_contractors(conn, unit.site_id):
        raise NotPermitted(f"contractor {contractor_id} is not registered to serve the unit's site")
    _authorise(conn, person, unit, contractor_id)
