"""Finding a unit: by its management number (unique per site only), and where it sits, for the logbook's API
and command."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


def units_by_management_no(
    conn: psycopg.Connection, management_no: str, site_code: str | None = None
) -> list[tuple[int, str]]:
    """(equipment id, site code) of every unit with ``management_no`` (at ``site_code``, when given)."""
    rows = conn.execute(
        """SELECT e.id, s.site_code FROM equipment e JOIN site s ON s.id = e.site_id
           WHERE e.management_no = %(no)s AND (%(site)s::text IS NULL OR s.site_code = %(site)s)
           ORDER BY s.site_code""",
        {"no": management_no, "site": site_code},
    ).fetchall()
    return [(int(equipment_id), str(code)) for equipment_id, code in rows]


def unit_place(conn: psycopg.Connection, equipment_id: int) -> dict[str, Any] | None:
    """The unit's management number and site id, or None when there is no such unit."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT management_no, site_id FROM equipment WHERE id = %s", (equipment_id,)).fetchone()


def serving_contractor_ids(conn: psycopg.Connection, site_id: int) -> list[int]:
    rows = conn.execute("SELECT contractor_id FROM site_contractor WHERE site_id = %s", (site_id,)).fetchall()
    return [int(r[0]) for r in rows]
