"""Units, leak cases and tickets for the resource routers' tests (sites, equipment, diagnoses, inspections,
tickets, movements). Every unit is fresh (records are never deleted); management numbers are unique per run."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import psycopg

from tests.api.conftest import World

_numbers = itertools.count(1)
PERSONAS = ["manager_site", "manager_branch", "delegate", "viewer", "contractor", "admin", "manager_other", "outsider"]
# Who sees a unit at store A, and at store B (tests/api/conftest.py).
SEES_A = {"manager_site", "manager_branch", "delegate", "viewer", "contractor", "admin"}
SEES_B = {"manager_branch", "admin", "manager_other"}


def make_unit(
    world: World, site: str, *, installed_on: date | None = None, compressors_kw: tuple[str, ...] = ("3.7",),
    kind: str = "showcase_remote",
) -> int:  # fmt: skip
    """A unit with circuit 1 (its compressors as given) and circuit 2 (one 3.7 kW compressor)."""
    with psycopg.connect(world.url) as conn:
        row = conn.execute(
            """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg, installed_on)
               VALUES (%s, %s, %s, 'R404A', %s, %s) RETURNING id""",
            (world.sites[site], f"RS-{next(_numbers):04d}", kind, Decimal("8.0"), installed_on),
        ).fetchone()
        assert row is not None
        unit = int(row[0])
        conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1), (%s, 2)", (unit, unit))
        for kw in compressors_kw:
            conn.execute("INSERT INTO compressor (equipment_id, circuit_no, rated_output_kw) VALUES (%s, 1, %s)",
                         (unit, Decimal(kw)))  # fmt: skip
        conn.execute("INSERT INTO compressor (equipment_id, circuit_no, rated_output_kw) VALUES (%s, 2, 3.7)", (unit,))
    return unit


def contractor_id(world: World) -> int:
    with psycopg.connect(world.url) as conn:
        row = conn.execute("SELECT id FROM contractor WHERE registration_no = 'API-0001'").fetchone()
    assert row is not None
    return int(row[0])


def other_contractor(world: World, site: str) -> int:
    """A second contractor (another company), serving ``site``."""
    with psycopg.connect(world.url) as conn:
        row = conn.execute(
            """INSERT INTO contractor (name, registration_no) VALUES ('Other Service', %s) RETURNING id""",
            (f"OTHER-{next(_numbers):04d}",),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO site_contractor (site_id, contractor_id) VALUES (%s, %s)", (world.sites[site], row[0])
        )
    return int(row[0])


def leak_with_ticket(world: World, unit: int, confirmed_on: date, contractor: int) -> tuple[int, int]:
    """A confirmed leak on circuit 1 of ``unit`` and an open ticket for ``contractor``: (leak case id, ticket id)."""
    with psycopg.connect(world.url) as conn:
        row = conn.execute(
            "INSERT INTO leak_case (equipment_id, circuit_no, confirmed_on) VALUES (%s, 1, %s) RETURNING id",
            (unit, confirmed_on),
        ).fetchone()
        assert row is not None
        ticket = conn.execute(
            """INSERT INTO ticket (equipment_id, circuit_no, leak_case_id, contractor_id, status, opened_at, updated_at)
               VALUES (%s, 1, %s, %s, 'open', now(), now()) RETURNING id""",
            (unit, row[0], contractor),
        ).fetchone()
        assert ticket is not None
    return int(row[0]), int(ticket[0])
