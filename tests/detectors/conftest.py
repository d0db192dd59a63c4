"""A store with simulated history in the telemetry table, for the detector service's tests.

Three registered units at one site: SC-LEAK (a showcase whose circuit starts leaking 2 %/day on day 17),
SC-QUIET (healthy, learned, but its readings stop after day 20) and SC-NEW (never learned, no readings).
Days are local days of Asia/Tokyo counted from DAY0, a month before today; readings every 300 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from edge_agent.simulator import SimulatedUnit, simulate, to_readings
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from storage.registry import save_equipment, save_site
from storage.telemetry import write_readings

TOKYO = ZoneInfo("Asia/Tokyo")
DAY0 = datetime.now(TOKYO).date() - timedelta(days=32)
LEARNED_DAYS = 14
LEAK_ONSET_DAY = 17
INTERVAL_S = 300.0


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def midnight(n: int) -> datetime:
    return datetime.combine(day(n), time(), TOKYO)


@dataclass(frozen=True)
class Store:
    url: str
    leaking: int  # equipment ids
    quiet: int
    new: int


def _unit(name: str, seed: int, faults: list[dict[str, object]]) -> SimulatedUnit:
    return SimulatedUnit.model_validate(
        {"kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 12.0, "seed": seed, "faults": faults}
    )


def _register(conn: psycopg.Connection, site_id: int, management_no: str) -> int:
    circuit = RefrigerantCircuit(1, (Compressor(Decimal("3.7")),))
    unit = Equipment(management_no, EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal("12"), (circuit,))
    return save_equipment(conn, site_id, unit)


def _history(conn: psycopg.Connection, equipment_id: int, unit: SimulatedUnit, days: int) -> None:
    result = simulate(unit, str(equipment_id), midnight(0), int(days * 86400 / INTERVAL_S), INTERVAL_S)
    write_readings(conn, [(equipment_id, r) for r in to_readings(result)])


@pytest.fixture(scope="module")
def store(new_migrated_database: Callable[[str], str], request: pytest.FixtureRequest) -> Store:
    url = new_migrated_database(f"detect_{request.module.__name__.rsplit('.', 1)[-1][5:]}")
    leak = {"type": "leak", "onset": midnight(LEAK_ONSET_DAY).isoformat(), "rate_pct_per_day": 2.0}
    with psycopg.connect(url) as conn:
        site_id = save_site(conn, Site("S-DET", "Detector store", "13", "Tokyo", OrgPath.parse("Detect Co")))
        ids = [_register(conn, site_id, no) for no in ("SC-LEAK", "SC-QUIET", "SC-NEW")]
        _history(conn, ids[0], _unit("SC-LEAK", 7, [leak]), 30)
        _history(conn, ids[1], _unit("SC-QUIET", 11, []), 20)
    return Store(url, *ids)
