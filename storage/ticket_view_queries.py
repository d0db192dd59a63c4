"""Queries of the repair tickets as the API lists them, limited in the SQL to what the caller may see: tickets
of units at the sites of the caller's own scope, and a contractor's tickets at the sites it serves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

_TICKETS = """SELECT t.id, t.equipment_id, e.management_no, e.site_id, s.site_code, s.name AS site_name, t.circuit_no,
    t.leak_case_id, l.confirmed_on AS leak_confirmed_on, t.contractor_id, c.name AS contractor_name, t.status,
    t.opened_at, t.updated_at, t.cancel_reason
FROM ticket t JOIN equipment e ON e.id = t.equipment_id JOIN site s ON s.id = e.site_id
JOIN contractor c ON c.id = t.contractor_id LEFT JOIN leak_case l ON l.id = t.leak_case_id
WHERE (e.site_id = ANY(%(scope)s) OR (t.contractor_id = ANY(%(contractors)s) AND e.site_id = ANY(%(sites)s)))
    AND (%(status)s::text IS NULL OR t.status = %(status)s) AND (%(ticket)s::bigint IS NULL OR t.id = %(ticket)s)
ORDER BY t.opened_at DESC, t.id DESC LIMIT %(limit)s"""


def tickets(
    conn: psycopg.Connection, *, scope_site_ids: Sequence[int], contractor_ids: Sequence[int],
    site_ids: Sequence[int], status: str | None = None, ticket_id: int | None = None, limit: int = 100,
) -> list[dict[str, Any]]:  # fmt: skip
    """Newest first. ``scope_site_ids``: sites of the caller's own (non-contractor) scope, all their tickets;
    ``contractor_ids``: the caller's contractors, whose tickets are seen at ``site_ids`` (sites it may see)."""
    params = {"scope": list(scope_site_ids), "contractors": list(contractor_ids), "sites": list(site_ids),
              "status": status, "ticket": ticket_id, "limit": limit}  # fmt: skip
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(_TICKETS, params).fetchall()
