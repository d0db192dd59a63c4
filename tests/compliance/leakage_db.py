"""Sites, units and certificates written to the database the way the register and the certificates store them,
for the tests of the calculated-leakage reports (REGULATION.md (g), (m))."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import psycopg

from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.inspection_rules import LegalCategory
from fluorowatch.domain.organisation import Contractor, OrgPath, Site
from storage.registry import save_contractor, save_equipment, save_site
from storage.ticket_queries import insert_movement

_numbers = itertools.count(1)


def site(
    conn: psycopg.Connection, code: str, prefecture_code: str, org: str, *, own: bool = True, mobile: bool = False
) -> int:
    """A site of ``org`` (``Company/Region/Branch``); ``own`` False = another business's premises (g2)."""
    return save_site(conn, Site(code, f"{code}店", prefecture_code, f"{code}の所在地", OrgPath.parse(org), own, mobile))


def unit(
    conn: psycopg.Connection, site_id: int, management_no: str, refrigerant: str, *,
    kind: EquipmentKind = EquipmentKind.SHOWCASE_REMOTE, installed_on: date | None = None,
    disposed_on: date | None = None, charge_kg: str = "50", category: LegalCategory | None = None,
) -> int:  # fmt: skip
    """A unit of ``charge_kg`` (nameplate); ``category`` overrides the legal category of its kind (n) #15."""
    circuits = (RefrigerantCircuit(1, (Compressor(Decimal("7.5")),)),)
    equipment = Equipment(management_no, kind, refrigerant, Decimal(charge_kg), circuits, installed_on, disposed_on,
                          legal_category_override=category)  # fmt: skip
    return save_equipment(conn, site_id, equipment)


def certificate(
    conn: psycopg.Connection, equipment_id: int, kind: str, refrigerant: str, kg: str, on: date,
    occasion: str = "maintenance",
) -> int:  # fmt: skip
    """A charge or recovery certificate (REGULATION.md (f)) as the ticket service stores one."""
    contractor = save_contractor(conn, Contractor("冷熱サービス", "13-0001", "13"))
    return insert_movement(conn, {
        "kind": kind, "certificate_no": f"C-{next(_numbers):05d}", "equipment_id": equipment_id, "circuit_no": 1,
        "work_date": on, "refrigerant": refrigerant, "amount_kg": Decimal(kg), "occasion": occasion,
        "contractor_id": contractor, "contractor_registration_no": "13-0001", "qualified_person": "鈴木 一郎",
        "qualification_no": "Q-1",
    })  # fmt: skip


def charged_unit(
    conn: psycopg.Connection, site_id: int, management_no: str, refrigerant: str, kg: str, on: date = date(2025, 6, 1)
) -> int:
    """A unit with one maintenance charge of ``kg``: its calculated leakage is kg × GWP / 1000 (g1)."""
    equipment_id = unit(conn, site_id, management_no, refrigerant)
    certificate(conn, equipment_id, "charge", refrigerant, kg, on)
    return equipment_id
