"""The worked example of the JARAC logbook (REGULATION.md (e2)) reproduces its header totals.

(e2) gives the refrigerant (R404A), the initial total charge (20.0 kg, at installation, not counted), the three
charges at maintenance (20.0 + 20.0 + 20.0 = 60.0 kg), the three recoveries (15.5 + 18.0 + 19.0 = 52.5 kg), the
emitted 7.5 kg and 7.5 × 3920 / 1000 = 29.4 t-CO2. Its figures are consistent with each other: no slip found
here (the slips registered in REGULATION.md (n) #20 are in the certificate example of (f) and in [004], not in
(e2)). What (e2) does not give is the work dates, nor whether the "initial total charge" is the factory charge
plus the additional charge at installation or a single charge: the dates below are ours, and the 20.0 kg is
recorded as one installation charge. Each recovery is followed by the recharge, as in a leak repair.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import psycopg

from compliance.logbook import Kind, totals
from compliance.logbook_service import correct, entries, record_manual
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from tests.alerts.conftest import T0, build_world

CONTRACTOR = "冷熱サービス"

# (date, kind, kg, occasion) — amounts from REGULATION.md (e2), dates ours
ROWS = [
    (date(2024, 4, 1), Kind.CHARGE, "20.0", "installation"),  # 初期充填量 (not in the totals)
    (date(2024, 10, 15), Kind.RECOVERY, "15.5", None),
    (date(2024, 10, 15), Kind.CHARGE, "20.0", "maintenance"),
    (date(2025, 7, 3), Kind.RECOVERY, "18.0", None),
    (date(2025, 7, 3), Kind.CHARGE, "20.0", "maintenance"),
    (date(2026, 2, 20), Kind.RECOVERY, "19.0", None),
    (date(2026, 2, 20), Kind.CHARGE, "20.0", "maintenance"),
]


def record_example(conn: psycopg.Connection, unit: int) -> None:
    """Write the example's rows into ``unit``'s logbook."""
    for n, (on, kind, kg, occasion) in enumerate(ROWS):
        details = {"contractor": CONTRACTOR, "refrigerant": "R404A", "amount_kg": kg, "technician": "佐藤 一郎"}
        if occasion is not None:
            details["occasion"] = occasion
        record_manual(conn, unit, kind, on, details, "佐藤 一郎", T0 + timedelta(minutes=n), circuit_no=1)
    # The inspection rows of the example carry no refrigerant and leave the totals alone.
    record_manual(conn, unit, Kind.INSPECTION, date(2024, 4, 1), {
        "inspector": "佐藤 一郎", "method": "periodic_direct", "content": "設置時点検(系統漏れ試験・気密)",
        "result": "漏えいなし", "leak_found": False}, "佐藤 一郎", T0, circuit_no=1)  # fmt: skip
    record_manual(conn, unit, Kind.REPAIR_DIFFICULTY, date(2024, 10, 13), {
        "reason": "修理時間を確保できない(顧客都合)", "planned_repair_on": date(2024, 10, 15)},
        "佐藤 一郎", T0, circuit_no=1)  # fmt: skip


def test_the_example_logbook_totals(conn: psycopg.Connection) -> None:
    unit = build_world(conn).unit
    record_example(conn, unit)
    result = totals(entries(conn, unit), RefrigerantRegistry.default())
    assert result.charged_kg == Decimal("60.0")  # the 20.0 kg installation charge is not counted
    assert result.recovered_kg == Decimal("52.5")
    assert result.emitted_kg == Decimal("7.5")
    assert result.t_co2 == Decimal("29.4")  # 7.5 × 3920 / 1000


def test_a_corrected_amount_counts_through_its_correction_only(conn: psycopg.Connection) -> None:
    unit = build_world(conn).unit
    record_example(conn, unit)
    wrong = next(e for e in entries(conn, unit) if e.kind is Kind.RECOVERY and e.details["amount_kg"] == "18.0")
    correct(conn, wrong.id, {**wrong.details, "amount_kg": "18.5"}, "鈴木 次郎", "回収証明書との照合", T0)
    result = totals(entries(conn, unit), RefrigerantRegistry.default())
    assert (result.recovered_kg, result.emitted_kg, result.t_co2) == (Decimal("53.0"), Decimal("7.0"),
                                                                      Decimal("27.44"))  # fmt: skip
    assert len(entries(conn, unit)) == len(ROWS) + 3
