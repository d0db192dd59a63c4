"""What a caller may see, computed once per request: the sites (alerts.service.visible_site_ids: their scope, the
scope of managers who named them delegate, the sites their contractor serves), the sites of their own scope only,
the organisation levels granted, and their contractors. Lists filter by these in the SQL; a single record the
caller may not see answers 404, so its existence is not disclosed.

A contractor's staff sees the units of the sites its contractor serves, and of the tickets only those assigned to
its contractor (not another contractor's tickets at the same site).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import psycopg
from fastapi import Depends, Request

from alerts.lifecycle import Person
from alerts.service import delegators_of, visible_site_ids
from api.deps import Connection, CurrentPerson
from compliance.schedule import DEFAULT_LEAD_DAYS
from storage import alert_queries


@dataclass(frozen=True)
class Visibility:
    site_ids: tuple[int, ...]  # every site whose records the caller may see
    scope_site_ids: tuple[int, ...]  # sites of the caller's (or their delegators') manager/admin/viewer roles
    organisation_ids: tuple[int, ...]  # organisation levels granted (to the caller or their delegators)
    contractor_ids: tuple[int, ...]  # the caller's contractors

    def sees_site(self, site_id: int) -> bool:
        return site_id in self.site_ids

    def sees_ticket(self, site_id: int, contractor_id: int) -> bool:
        """A ticket of the caller's scope, or one assigned to the caller's contractor at a site it may see."""
        return site_id in self.scope_site_ids or (contractor_id in self.contractor_ids and site_id in self.site_ids)


def visibility(conn: psycopg.Connection, person: Person) -> Visibility:
    grants = [g for p in (person, *delegators_of(conn, person.user_id)) for g in p.grants if g.role != "contractor"]
    sites = sorted({g.site_id for g in grants if g.site_id is not None})
    organisations = sorted({g.organisation_id for g in grants if g.organisation_id is not None})
    contractors = sorted({g.contractor_id for g in person.grants if g.role == "contractor" and g.contractor_id})
    return Visibility(
        site_ids=tuple(visible_site_ids(conn, person)),
        scope_site_ids=tuple(alert_queries.visible_sites(conn, sites, organisations, [])),
        organisation_ids=tuple(organisations),
        contractor_ids=tuple(contractors),
    )


def configured_lead_days(request: Request) -> int:
    """The lead time of "due soon" (compliance.schedule): ``app.state.inspection_lead_days`` when the deployment
    sets it, else compliance.schedule.DEFAULT_LEAD_DAYS."""
    return int(getattr(request.app.state, "inspection_lead_days", DEFAULT_LEAD_DAYS))


def caller_visibility(conn: Connection, person: CurrentPerson) -> Visibility:
    return visibility(conn, person)


LeadDays = Annotated[int, Depends(configured_lead_days)]
Visible = Annotated[Visibility, Depends(caller_visibility)]
