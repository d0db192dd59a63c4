"""Repair tickets for contractors, as pure rules (REGULATION.md (d1), (d2), (d3), (b2)).

A ticket follows the order of work the law sets once a leak is confirmed (d1): open -> dispatched ->
leak_located (the leak point found by inspection) -> repaired -> verified (confirmed no longer leaking) ->
closed; it may be cancelled, with a reason, from any state that is not final. Finding the leak, repairing it,
and any charge or recovery are done by, or in the presence of, a qualified person (十分な知見を有する者, (b2),
(d3) 5.), whose name and qualification number are recorded.

Who may move a ticket: a user of the ticket's contractor when that contractor serves the unit's site, or the
unit's manager (manager role at the site or an organisation level above it). Nobody else.

Repair deadline: an emergency charge (d2) case 2 binds the repair to ``confirmed_on + 60 days``
(``compliance.recharge.repair_deadline``); reminders fall on fixed days before it. Dates are passed in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from alerts.lifecycle import Decision, Person, Scope, manages
from compliance.recharge import repair_deadline

REMINDER_POINTS = (30, 14, 7, 1)  # days before the repair deadline


class Status(StrEnum):
    OPEN = "open"
    DISPATCHED = "dispatched"
    LEAK_LOCATED = "leak_located"
    REPAIRED = "repaired"
    VERIFIED = "verified"
    CLOSED = "closed"
    CANCELLED = "cancelled"


FINAL = frozenset({Status.CLOSED, Status.CANCELLED})
# (d1): leak found -> locate -> repair -> confirm it no longer leaks; no step is skipped.
_FORWARD = {
    Status.OPEN: Status.DISPATCHED,
    Status.DISPATCHED: Status.LEAK_LOCATED,
    Status.LEAK_LOCATED: Status.REPAIRED,
    Status.REPAIRED: Status.VERIFIED,
    Status.VERIFIED: Status.CLOSED,
}
# (b2), (d3) 5.: inspection to locate the leak and the repair are the work of a qualified person.
NEEDS_QUALIFIED_PERSON = frozenset({Status.LEAK_LOCATED, Status.REPAIRED})


class TicketTransitionError(ValueError):
    """The ticket cannot make this move from its present status, or the move lacks what the law needs."""


class NotPermitted(PermissionError):
    """The person may not act on this ticket or unit."""


@dataclass(frozen=True)
class QualifiedPerson:
    """十分な知見を有する者 (REGULATION.md (b2)): who did or attended the work, with the qualification number."""

    name: str
    qualification_no: str

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.qualification_no.strip():
            raise ValueError("a qualified person needs a name and a qualification number (REGULATION.md (b2))")


def next_status(current: Status, target: Status) -> Status:
    """``target`` when the ticket may move there from ``current``; else ``TicketTransitionError``."""
    if current in FINAL:
        raise TicketTransitionError(f"the ticket is {current}: a final ticket does not move; open a new one")
    if target is Status.CANCELLED or _FORWARD[current] is target:
        return target
    raise TicketTransitionError(
        f"a ticket that is {current} moves next to {_FORWARD[current]} (or is cancelled), not to {target}: "
        "the leak is located, then repaired, then verified (REGULATION.md (d1))"
    )


def check_transition(
    current: Status, target: Status, *, qualified_person: QualifiedPerson | None, cancel_reason: str = ""
) -> Status:
    """`next_status` plus what the move must carry: a reason to cancel, a qualified person to locate or repair."""
    status = next_status(current, target)
    if status is Status.CANCELLED and not cancel_reason.strip():
        raise TicketTransitionError("a ticket is cancelled only with a reason")
    if status in NEEDS_QUALIFIED_PERSON and qualified_person is None:
        raise TicketTransitionError(
            f"moving to {status} needs the qualified person (十分な知見を有する者) who did the work, with the "
            "qualification number (REGULATION.md (b2), (d3) 5.)"
        )
    return status


def may_act(person: Person, scope: Scope, contractor_id: int, site_contractors: Collection[int]) -> Decision:
    """Whether ``person`` may act for contractor ``contractor_id`` on a unit in ``scope`` (move its ticket,
    record its charge or recovery). ``site_contractors`` are the contractors that serve the site."""
    if manages(person, scope):
        return Decision(True, "the unit's manager")
    own = {g.contractor_id for g in person.grants if g.role == "contractor"}
    if contractor_id in own and contractor_id in site_contractors:
        return Decision(True, "the contractor the site engaged")
    if contractor_id in own:
        return Decision(False, "this contractor is not registered to serve the unit's site")
    who = ", ".join(sorted({g.role for g in person.grants})) or "no role"
    return Decision(False, f"only the unit's manager or the site's contractor may do this ({who} may not)")


@dataclass(frozen=True)
class LeakCase:
    """A confirmed leak on one circuit (table leak_case); open until the repair is verified."""

    id: int
    equipment_id: int
    circuit_no: int
    confirmed_on: date
    hard_to_reach_reason: str = ""
    planned_repair_on: date | None = None
    repaired_on: date | None = None
    verified_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.verified_on is None


@dataclass(frozen=True)
class DeadlineStatus:
    deadline: date  # the last day the repair may be done, REGULATION.md (d2) case 2
    days_left: int  # negative once the deadline has passed
    overdue: bool


def repair_deadline_status(leak: LeakCase, today: date) -> DeadlineStatus:
    """The repair deadline of ``leak`` seen on ``today``; overdue only while it is still not repaired."""
    deadline = repair_deadline(leak.confirmed_on)
    days_left = (deadline - today).days
    return DeadlineStatus(deadline, days_left, leak.repaired_on is None and days_left < 0)


def reminders_due(
    today: date, deadline: date, points: Collection[int] = REMINDER_POINTS, already_sent: Collection[int] = ()
) -> tuple[int, ...]:
    """The reminder points (days before ``deadline``) reached on ``today`` and not yet sent, largest first.

    A missed day does not lose a reminder: every point reached and not sent is returned. Past the deadline no
    reminder is due: the case is overdue (`repair_deadline_status`)."""
    days_left = (deadline - today).days
    if days_left < 0:
        return ()
    return tuple(sorted((p for p in points if days_left <= p and p not in already_sent), reverse=True))
