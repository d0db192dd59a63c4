"""Queries of the organisation tree and the sites, always limited to the sites a caller may see (the ids come
from alerts.service.visible_site_ids; the filtering is done here, in the SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row


def organisations(
    conn: psycopg.Connection, site_ids: Sequence[int], organisation_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """The organisation levels above the visible sites and the levels granted (``organisation_ids``) with
    everything below them, company first; ``sites`` counts the visible sites directly at each level."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """WITH RECURSIVE up AS (
                   SELECT o.id, o.parent_id FROM organisation o
                   WHERE o.id IN (SELECT organisation_id FROM site WHERE id = ANY(%(sites)s)) OR o.id = ANY(%(orgs)s)
                   UNION SELECT o.id, o.parent_id FROM organisation o JOIN up ON o.id = up.parent_id),
               down AS (
                   SELECT id FROM organisation WHERE id = ANY(%(orgs)s)
                   UNION SELECT o.id FROM organisation o JOIN down d ON o.parent_id = d.id)
               SELECT o.id, o.parent_id, o.name, o.depth,
                   (SELECT count(*) FROM site s WHERE s.organisation_id = o.id AND s.id = ANY(%(sites)s)) AS sites
               FROM organisation o WHERE o.id IN (SELECT id FROM up UNION SELECT id FROM down)
               ORDER BY o.depth, o.name, o.id""",
            {"sites": list(site_ids), "orgs": list(organisation_ids)},
        ).fetchall()


def sites(conn: psycopg.Connection, site_ids: Sequence[int], site_id: int | None = None) -> list[dict[str, Any]]:
    """The visible sites (one of them with ``site_id``) with their organisation path, company first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """WITH RECURSIVE path AS (
                   SELECT s.id AS site_id, o.id, o.parent_id, o.name, o.depth FROM site s
                   JOIN organisation o ON o.id = s.organisation_id WHERE s.id = ANY(%(sites)s)
                   UNION ALL SELECT p.site_id, o.id, o.parent_id, o.name, o.depth FROM organisation o
                   JOIN path p ON o.id = p.parent_id)
               SELECT s.id, s.site_code, s.name, s.prefecture_code, s.address, s.organisation_id,
                   (SELECT array_agg(p.name ORDER BY p.depth) FROM path p WHERE p.site_id = s.id) AS organisation_path,
                   (SELECT count(*) FROM equipment e WHERE e.site_id = s.id AND e.disposed_on IS NULL) AS units
               FROM site s WHERE s.id = ANY(%(sites)s) AND (%(site)s::bigint IS NULL OR s.id = %(site)s)
               ORDER BY s.site_code""",
            {"sites": list(site_ids), "site": site_id},
        ).fetchall()


def contractors_of_sites(conn: psycopg.Connection, site_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Per site, the contractors serving it (id, name, registration number)."""
    rows = conn.execute(
        """SELECT sc.site_id, c.id, c.name, c.registration_no FROM site_contractor sc
           JOIN contractor c ON c.id = sc.contractor_id WHERE sc.site_id = ANY(%s) ORDER BY sc.site_id, c.id""",
        (list(site_ids),),
    ).fetchall()
    found: dict[int, list[dict[str, Any]]] = {}
    for site, contractor_id, name, registration_no in rows:
        found.setdefault(int(site), []).append({"id": int(contractor_id), "name": name,
                                                "registration_no": registration_no})  # fmt: skip
    return found
