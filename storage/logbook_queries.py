"""Queries of the logbook (migration 0012) and of the records it is fed from (0011). Logbook entries are only
inserted: the table refuses UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

ENTRY_COLUMNS = """e.id, e.equipment_id, e.circuit_no, e.kind, e.occurred_on, e.recorded_at, e.recorded_by,
    e.details, e.source, e.source_id, e.corrects_id"""


def insert_entry(conn: psycopg.Connection, values: dict[str, Any], *, if_new: bool = False) -> int | None:
    """Insert one entry; with ``if_new``, an entry of the same (source, source_id, kind) already there means
    nothing is written and None is returned."""
    params = dict(values, details=Jsonb(values["details"]))
    conflict = "ON CONFLICT (source, source_id, kind) DO NOTHING" if if_new else ""
    row = conn.execute(
        f"""INSERT INTO logbook_entry (equipment_id, circuit_no, kind, occurred_on, recorded_at, recorded_by,
                details, source, source_id, corrects_id)
            VALUES (%(equipment_id)s, %(circuit_no)s, %(kind)s, %(occurred_on)s, %(recorded_at)s, %(recorded_by)s,
                %(details)s, %(source)s, %(source_id)s, %(corrects_id)s) {conflict} RETURNING id""",
        params,
    ).fetchone()
    return None if row is None else int(row[0])


def entries(conn: psycopg.Connection, equipment_id: int) -> list[dict[str, Any]]:
    """The unit's entries by date then id, each with ``superseded_by`` (the id of its correction, or None)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""SELECT {ENTRY_COLUMNS}, c.id AS superseded_by
                FROM logbook_entry e LEFT JOIN logbook_entry c ON c.corrects_id = e.id
                WHERE e.equipment_id = %s ORDER BY e.occurred_on, e.id""",
            (equipment_id,),
        ).fetchall()


def entry(conn: psycopg.Connection, entry_id: int) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""SELECT {ENTRY_COLUMNS}, c.id AS superseded_by
                FROM logbook_entry e LEFT JOIN logbook_entry c ON c.corrects_id = e.id WHERE e.id = %s""",
            (entry_id,),
        ).fetchone()


def unit_exists(conn: psycopg.Connection, equipment_id: int) -> bool:
    return conn.execute("SELECT 1 FROM equipment WHERE id = %s", (equipment_id,)).fetchone() is not None


def unit_header(conn: psycopg.Connection, equipment_id: int) -> dict[str, Any] | None:
    """What identifies the unit in an exported logbook (REGULATION.md (e2) header)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT management_no, kind, refrigerant, charge_kg, manufacturer, model, serial_no, installed_on,
                   disposed_on FROM equipment WHERE id = %s""",
            (equipment_id,),
        ).fetchone()


def ticket_transitions(conn: psycopg.Connection, equipment_id: int, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    """The unit's ticket moves into ``statuses``, with the ticket's circuit, leak case and contractor's name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT tt.id, tt.ticket_id, tt.to_status, tt.at, tt.actor, tt.qualified_person, tt.qualification_no,
                   tt.note, t.circuit_no, t.leak_case_id, c.name AS contractor
               FROM ticket_transition tt JOIN ticket t ON t.id = tt.ticket_id
               JOIN contractor c ON c.id = t.contractor_id
               WHERE t.equipment_id = %s AND tt.to_status = ANY(%s) ORDER BY tt.id""",
            (equipment_id, list(statuses)),
        ).fetchall()


def leak_cases_with_planned_repair(conn: psycopg.Connection, equipment_id: int) -> list[dict[str, Any]]:
    """Leak cases with a planned repair date (item 6), with the emergency of their case-2 charge if any."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT l.id, l.circuit_no, l.confirmed_on, l.hard_to_reach_reason, l.planned_repair_on,
                   (SELECT m.emergency FROM refrigerant_movement m
                    WHERE m.leak_case_id = l.id AND m.emergency IS NOT NULL LIMIT 1) AS emergency,
                   (SELECT min(m.work_date) FROM refrigerant_movement m
                    WHERE m.leak_case_id = l.id AND m.kind = 'charge') AS first_charge_on
               FROM leak_case l WHERE l.equipment_id = %s AND l.planned_repair_on IS NOT NULL ORDER BY l.id""",
            (equipment_id,),
        ).fetchall()


def movements(conn: psycopg.Connection, equipment_id: int) -> list[dict[str, Any]]:
    """The unit's charge and recovery certificates with the contractor's name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT m.*, c.name AS contractor FROM refrigerant_movement m JOIN contractor c ON c.id = m.contractor_id
               WHERE m.equipment_id = %s ORDER BY m.id""",
            (equipment_id,),
        ).fetchall()


def sheet_header(conn: psycopg.Connection, equipment_id: int) -> dict[str, Any] | None:
    """The header of the printed logbook (REGULATION.md (e2)): the unit, its site, its circuits, and its manager
    (the named manager of the unit, else the company that owns the site)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """WITH RECURSIVE up AS (
                   SELECT o.id, o.parent_id, o.name FROM organisation o
                   JOIN site s ON s.organisation_id = o.id JOIN equipment e ON e.site_id = s.id WHERE e.id = %(id)s
                   UNION ALL SELECT o.id, o.parent_id, o.name FROM organisation o JOIN up ON o.id = up.parent_id)
               SELECT e.management_no, e.kind, e.refrigerant, e.charge_kg, e.manufacturer, e.model, e.serial_no,
                   e.installed_on, e.disposed_on, s.name AS site_name, s.address AS site_address,
                   coalesce(m.manager_name, (SELECT name FROM up WHERE parent_id IS NULL)) AS manager,
                   ARRAY(SELECT circuit_no FROM circuit c WHERE c.equipment_id = e.id ORDER BY 1) AS circuits
               FROM equipment e JOIN site s ON s.id = e.site_id
               LEFT JOIN equipment_manager m ON m.equipment_id = e.id WHERE e.id = %(id)s""",
            {"id": equipment_id},
        ).fetchone()
