"""The alert lifecycle and who may move it, as pure rules.

raised -> acknowledged -> resolved; an unacknowledged leak alert escalates one organisation level up after a
delay (default 4 h), then again after each further delay, up to the company. A leak alert is acknowledged or
resolved only by the unit's manager — a user holding the manager role at the unit's site or at an
organisation level above it — or by a delegate that manager named: the notification must be one "that
others cannot easily cancel" (REGULATION.md (p) ニ). Every attempt, allowed or not, is audited by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_ESCALATION_DELAY = timedelta(hours=4)
LEAK = "leak"


class Status(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class Grant:
    """One role assignment (table role_assignment): a role at an organisation level, a site or a contractor."""

    role: str  # admin | manager | viewer | contractor
    organisation_id: int | None = None
    site_id: int | None = None
    contractor_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """Where a unit sits: its site and the organisation levels above it, nearest first (branch .. company)."""

    site_id: int
    organisations: tuple[int, ...]


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class TransitionError(ValueError):
    """The alert cannot make this move from its present status."""


def manages(person: Person, scope: Scope) -> bool:
    """Whether ``person`` is a manager of units in ``scope`` (at its site or an organisation level above)."""
    return any(
        g.role == "manager" and (g.site_id == scope.site_id or g.organisation_id in scope.organisations)
        for g in person.grants
    )


def may_close(person: Person, scope: Scope, category: str, delegated_by: Sequence[Person] = ()) -> Decision:
    """Whether ``person`` may acknowledge or resolve an alert of ``category`` on a unit in ``scope``.

    ``delegated_by`` are the managers who named ``person`` their delegate. Leak alerts: the unit's manager or a
    delegate of one, nobody else — not an admin, a viewer or a contractor. Other alerts: also an admin of the
    scope."""
    if manages(person, scope):
        return Decision(True, "the unit's manager")
    for manager in delegated_by:
        if manages(manager, scope):
            return Decision(True, f"delegate of {manager.name}")
    if category != LEAK and any(g.role == "admin" and covers(g, scope) for g in person.grants):
        return Decision(True, "an administrator (not a leak alert)")
    who = ", ".join(sorted({g.role for g in person.grants})) or "no role"
    return Decision(False, f"only the unit's manager or a delegate the manager named may do this ({who} may not)")


def covers(grant: Grant, scope: Scope) -> bool:
    """Whether the grant holds at the scope's site or at an organisation level above it."""
    return grant.site_id == scope.site_id or grant.organisation_id in scope.organisations


def next_status(status: Status, action: Action) -> Status:
    """The status after ``action``; a resolved alert takes no further action, an acknowledged one is not
    acknowledged again."""
    if status is Status.RESOLVED:
        raise TransitionError("the alert is already resolved; a new occurrence opens a new alert")
    if action is Action.ACKNOWLEDGE:
        if status is Status.ACKNOWLEDGED:
            raise TransitionError("the alert is already acknowledged")
        return Status.ACKNOWLEDGED
    return Status.RESOLVED


def escalation_due(
    category: str,
    status: Status,
    raised_at: datetime,
    level: int,
    levels_above: int,
    now: datetime,
    delay: timedelta = DEFAULT_ESCALATION_DELAY,
) -> bool:
    """Whether an unacknowledged leak alert should go one level further up: after ``delay`` for the first
    level, and after each further ``delay``; never beyond the company (``levels_above`` organisation levels)."""
    if category != LEAK or status is not Status.RAISED or level >= levels_above:
        return False
    return now >= raised_at + delay * (level + 1)
