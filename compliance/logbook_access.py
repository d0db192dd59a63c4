"""Who may write a unit's logbook (点検整備記録簿, REGULATION.md (e)), as a pure rule.

The logbook is the manager's record: a manager or administrator of the unit's site (or of an organisation level
above it) writes it, and so does the contractor serving the site, who inspects, repairs, charges and recovers
(e1 items 4-9). A viewer reads it only. Reading follows what the person may see (alerts.service.visible_site_ids).
"""

from __future__ import annotations

from collections.abc import Collection

from alerts.lifecycle import Decision, Person, Scope, covers

WRITERS = ("manager", "admin")


def may_write_logbook(person: Person, scope: Scope, serving_contractor_ids: Collection[int]) -> Decision:
    """Whether ``person`` may append to or correct the logbook of a unit in ``scope``; ``serving_contractor_ids``
    are the contractors serving the unit's site."""
    for grant in person.grants:
        if grant.role in WRITERS and covers(grant, scope):
            return Decision(True, f"{grant.role} of the unit's site")
        if grant.role == "contractor" and grant.contractor_id in serving_contractor_ids:
            return Decision(True, "the contractor serving the unit's site")
    who = ", ".join(sorted({g.role for g in person.grants})) or "no role"
    return Decision(False, "only a manager or administrator of the unit's site, or the contractor serving it, "
                           f"may write its logbook ({who} may not)")  # fmt: skip
