"""The API's world on a real migrated database: a retailer with a branch and two stores, a contractor serving
store A, another company, and the people who call the API, each with a bearer token.

- manager_site: manager at store A;            manager_branch: manager at the branch above both stores;
- delegate: no role, named by manager_site;    viewer: viewer at store A;
- contractor: staff of the contractor serving store A;   admin: administrator of the company;
- manager_other: manager at store B;           outsider: manager at another company, who must see nothing.

Alerts cannot be deleted (the database refuses), so each test gets a fresh unit at store A with its own alert.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from api.app import create_app
from fluorowatch.domain.organisation import Contractor, OrgPath, Site
from storage.db import open_pool
from storage.registry import assign_contractor, save_contractor, save_org_path, save_site
from storage.token_queries import grant_role, issue_token, save_user

COMPANY, BRANCH, OTHER_COMPANY = "Sakura Test Mart", "Kanto", "Other Retail"
SITE_A, SITE_B, SITE_C = "API-A", "API-B", "API-C"
_units = itertools.count(1)


@dataclass(frozen=True)
class Persona:
    name: str
    user_id: int
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class World:
    url: str
    company_id: int
    branch_id: int
    other_company_id: int
    sites: dict[str, int]
    people: dict[str, Persona]

    def __getitem__(self, name: str) -> Persona:
        return self.people[name]


def _person(conn: psycopg.Connection, name: str, role: str | None = None, **scope: int) -> Persona:
    user_id = save_user(conn, f"{name}@example.jp", name)
    if role is not None:
        grant_role(conn, user_id, role, **scope)
    _, token = issue_token(conn, user_id, f"{name}'s integration")
    return Persona(name, user_id, token)


def _build(conn: psycopg.Connection, url: str) -> World:
    branch = OrgPath.parse(f"{COMPANY}/{BRANCH}")
    sites = {
        code: save_site(conn, Site(code, f"store {code}", "13", "Tokyo", path))
        for code, path in ((SITE_A, branch), (SITE_B, branch), (SITE_C, OrgPath.parse(OTHER_COMPANY)))
    }
    company_id, branch_id = save_org_path(conn, branch.parent or branch), save_org_path(conn, branch)
    other_company_id = save_org_path(conn, OrgPath.parse(OTHER_COMPANY))
    contractor_id = save_contractor(conn, Contractor("Reito Service", "API-0001", "13"))
    assign_contractor(conn, sites[SITE_A], contractor_id)
    people = [
        _person(conn, "manager_site", "manager", site_id=sites[SITE_A]),
        _person(conn, "manager_branch", "manager", organisation_id=branch_id),
        _person(conn, "delegate"),
        _person(conn, "viewer", "viewer", site_id=sites[SITE_A]),
        _person(conn, "contractor", "contractor", contractor_id=contractor_id),
        _person(conn, "admin", "admin", organisation_id=company_id),
        _person(conn, "manager_other", "manager", site_id=sites[SITE_B]),
        _person(conn, "outsider", "manager", organisation_id=other_company_id),
    ]
    by_name = {p.name: p for p in people}
    conn.execute(
        "INSERT INTO alert_delegate (manager_user_id, delegate_user_id) VALUES (%s, %s)",
        (by_name["manager_site"].user_id, by_name["delegate"].user_id),
    )
    return World(url, company_id, branch_id, other_company_id, sites, by_name)


def world_in(url: str) -> World:
    """The personas and their company, committed in the database at ``url``."""
    with psycopg.connect(url) as conn:
        return _build(conn, url)


@pytest.fixture(scope="session")
def world(new_migrated_database: Callable[[str], str]) -> World:
    return world_in(new_migrated_database("api"))


@pytest.fixture(scope="session")
def pool(world: World) -> Iterator[ConnectionPool]:
    with open_pool(world.url, max_size=4) as opened:
        yield opened


@pytest.fixture(scope="session")
def client(pool: ConnectionPool) -> TestClient:
    return TestClient(create_app(pool))


NewAlert = Callable[..., int]


@pytest.fixture
def new_alert(world: World) -> NewAlert:
    """Raise an alert (status raised) on a fresh unit: ``new_alert(category="leak", site=SITE_A)``."""

    def make(category: str = "leak", site: str = SITE_A) -> int:
        with psycopg.connect(world.url) as conn:
            (equipment_id,) = conn.execute(
                """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg)
                   VALUES (%s, %s, 'showcase_remote', 'R404A', %s) RETURNING id""",
                (world.sites[site], f"SC-{next(_units):03d}", Decimal("8.0")),
            ).fetchone() or (0,)
            conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1), (%s, 2)",
                         (equipment_id, equipment_id))  # fmt: skip
            (alert_id,) = conn.execute(
                """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at,
                       message, evidence, detector)
                   VALUES (%s, 1, %s, 'high', 'raised', now(), now(), 'circuit 1 is losing refrigerant',
                       '["subcooling_k low"]', 'test')
                   RETURNING id""",
                (equipment_id, category),
            ).fetchone() or (0,)
        return int(alert_id)

    return make


@pytest.fixture
def leak_alert(new_alert: NewAlert) -> int:
    return new_alert()


@pytest.fixture
def audit_rows(world: World) -> Callable[[int], list[dict[str, Any]]]:
    """The alert's audit rows as stored, oldest first."""

    def read(alert_id: int) -> list[dict[str, Any]]:
        with psycopg.connect(world.url) as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                """SELECT action, allowed, actor_user_id, actor, from_address, reason
                   FROM alert_audit WHERE alert_id = %s ORDER BY id""",
                (alert_id,),
            ).fetchall()

    return read
