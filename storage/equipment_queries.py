"""Queries of the units as the API shows them: what their status is decided from (open alerts and leaks, the
last inspections of the logbook, monitoring periods, circuits and compressors), their open tickets and their daily
diagnoses. Every list is limited in the SQL to the sites the caller may see (alerts.service.visible_site_ids)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

# An inspection entry counts unless a correction replaced it (the correction is counted instead).
_LAST_INSPECTION = """(SELECT max(b.occurred_on) FROM logbook_entry b WHERE b.equipment_id = e.id
    AND b.kind = 'inspection' AND b.details->>'method' = ANY(%s)
    AND NOT EXISTS (SELECT 1 FROM logbook_entry c WHERE c.corrects_id = b.id))"""

_UNITS = f"""SELECT e.id, e.site_id, s.site_code, s.name AS site_name, e.management_no, e.kind,
    e.legal_category_override, e.refrigerant, e.charge_kg, e.manufacturer, e.model, e.serial_no, e.installed_on,
    e.disposed_on, e.approved_replacements,
    (SELECT count(*) FROM alert a WHERE a.equipment_id = e.id AND a.status <> 'resolved'
        AND a.category = 'leak') AS open_leak_alerts,
    (SELECT count(*) FROM alert a WHERE a.equipment_id = e.id AND a.status <> 'resolved'
        AND a.category <> 'leak') AS open_other_alerts,
    (SELECT count(*) FROM leak_case l WHERE l.equipment_id = e.id AND l.verified_on IS NULL) AS open_leak_cases,
    (SELECT count(*) FROM ticket t WHERE t.equipment_id = e.id
        AND t.status NOT IN ('closed', 'cancelled')) AS open_tickets,
    {_LAST_INSPECTION % "'{simple}'"} AS last_simple,
    {_LAST_INSPECTION % "'{periodic_direct,periodic_indirect}'"} AS last_periodic,
    coalesce((SELECT json_agg(json_build_array(p.started_on, p.ended_on) ORDER BY p.started_on)
        FROM monitoring_period p WHERE p.equipment_id = e.id), '[]') AS monitoring_periods,
    coalesce((SELECT json_agg(json_build_object('circuit_no', c.circuit_no, 'charge_kg', c.charge_kg::text,
            'compressors_kw', (SELECT coalesce(json_agg(k.rated_output_kw::text ORDER BY k.id), '[]')
                FROM compressor k WHERE k.equipment_id = c.equipment_id AND k.circuit_no = c.circuit_no))
        ORDER BY c.circuit_no) FROM circuit c WHERE c.equipment_id = e.id), '[]') AS circuits
FROM equipment e JOIN site s ON s.id = e.site_id
WHERE e.site_id = ANY(%(sites)s) AND (%(site)s::bigint IS NULL OR e.site_id = %(site)s)
    AND (%(unit)s::bigint IS NULL OR e.id = %(unit)s)
ORDER BY s.site_code, e.management_no, e.id"""


def units(
    conn: psycopg.Connection, site_ids: Sequence[int], *, site_id: int | None = None, equipment_id: int | None = None
) -> list[dict[str, Any]]:
    """The units of the visible sites (of one site, or one unit), with what their status is decided from."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(_UNITS, {"sites": list(site_ids), "site": site_id, "unit": equipment_id}).fetchall()


def open_tickets(conn: psycopg.Connection, equipment_id: int) -> list[dict[str, Any]]:
    """The unit's tickets that are not closed or cancelled, oldest first, with their contractor."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT t.id, t.circuit_no, t.status, t.contractor_id, c.name AS contractor_name, t.leak_case_id,
                   t.opened_at, t.updated_at
               FROM ticket t JOIN contractor c ON c.id = t.contractor_id
               WHERE t.equipment_id = %s AND t.status NOT IN ('closed', 'cancelled') ORDER BY t.opened_at, t.id""",
            (equipment_id,),
        ).fetchall()


def diagnoses(conn: psycopg.Connection, equipment_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """The daily diagnosis rows of the unit for start <= day <= end, by day and circuit."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT circuit_no, day, status, hours_measured, estimated_charge_loss_pct, sigma_pct, categories,
                   detail, created_at
               FROM diagnosis WHERE equipment_id = %s AND day BETWEEN %s AND %s ORDER BY day, circuit_no""",
            (equipment_id, start, end),
        ).fetchall()
