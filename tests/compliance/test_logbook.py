"""The logbook (点検整備記録簿, REGULATION.md (e)) against a real database: the nine record items of (e1) and
their required fields, corrections that keep the original, feeding from tickets, leak cases and certificates
once only, and handing the logbook over on sale ((e)). Time is passed in."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from compliance.logbook import REQUIRED, Kind, Source, totals, validate
from compliance.logbook_service import (
    correct,
    entries,
    export_csv,
    export_json,
    feed_from_records,
    import_json,
    record_manual,
)
from compliance.recharge import ChargeRequest, Occasion
from compliance.ticket_service import NotFound, Recovery, open_ticket, record_recovery, transition
from compliance.tickets import Status
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from tests.alerts.conftest import T0
from tests.compliance.test_ticket_service import (
    QUALIFIED,
    Fleet,
    _at,
    _build_fleet,
    _charge,
    _day,
    _emergency,
    _leak,
)

DAY = date(2026, 3, 2)

VALID: dict[Kind, dict[str, Any]] = {
    Kind.MANAGER: {"name": "Acme株式会社"},
    Kind.UNIT: {"place": "新宿店 バックヤード", "identification": "SC-01 / 製造番号 A123"},
    Kind.REFRIGERANT: {"refrigerant": "R404A", "amount_kg": "12.0"},
    Kind.INSPECTION: {
        "inspector": "山田 花子",
        "method": "simple",
        "content": "外観・異音・油にじみ",
        "result": "異常なし",
    },
    Kind.REPAIR: {"repairer": "佐藤 一郎", "content": "フレア継手の再加工", "result": "漏えい停止を確認"},
    Kind.REPAIR_DIFFICULTY: {"reason": "修理時間を確保できない(顧客都合)", "planned_repair_on": "2026-03-04"},
    Kind.CHARGE: {
        "contractor": "冷熱サービス",
        "refrigerant": "R404A",
        "amount_kg": "2.5",
        "occasion": "maintenance",
    },
    Kind.RECOVERY: {"contractor": "冷熱サービス", "refrigerant": "R404A", "amount_kg": "1.5"},
    Kind.DISPOSAL: {"contractor": "冷熱サービス", "outcome": "confirmed_empty"},
}


@pytest.fixture
def fleet(conn: psycopg.Connection) -> Fleet:
    return _build_fleet(conn)


def _rows(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM logbook_entry").fetchone()
    assert row is not None
    return int(row[0])


def test_every_item_of_e1_has_a_kind_and_every_kind_has_required_fields() -> None:
    # REGULATION.md (e1): nine items, in order
    assert [k.item for k in Kind] == list(range(1, 10))
    assert set(VALID) == set(Kind) == set(REQUIRED)
    for kind, details in VALID.items():
        assert validate(kind, details)


@pytest.mark.parametrize(("kind", "field"), [(k, f) for k in Kind for f in REQUIRED[k]])
def test_a_missing_required_field_is_refused_by_name(conn: psycopg.Connection, fleet: Fleet, kind: Kind,
                                                     field: str) -> None:  # fmt: skip
    for missing in (None, "  "):
        details = {k: v for k, v in VALID[kind].items() if k != field}
        if missing is not None:
            details[field] = missing
        with pytest.raises(ValueError, match=rf"needs {field} .*item {kind.item}\)"):
            record_manual(conn, fleet.unit, kind, DAY, details, "山田 花子", T0)
    assert _rows(conn) == 0


def test_inspection_methods_and_amounts_are_checked(conn: psycopg.Connection, fleet: Fleet) -> None:
    with pytest.raises(ValueError, match="method of the inspection entry must be one of simple, periodic_direct"):
        record_manual(conn, fleet.unit, Kind.INSPECTION, DAY, {**VALID[Kind.INSPECTION], "method": "eyeball"},
                      "山田 花子", T0)  # fmt: skip
    with pytest.raises(ValueError, match="amount_kg must be an exact decimal"):
        record_manual(conn, fleet.unit, Kind.CHARGE, DAY, {**VALID[Kind.CHARGE], "amount_kg": 2.5}, "山田", T0)
    with pytest.raises(ValueError, match="positive"):
        record_manual(conn, fleet.unit, Kind.RECOVERY, DAY, {**VALID[Kind.RECOVERY], "amount_kg": "0"}, "山田", T0)
    with pytest.raises(ValueError, match="occasion of the recovery entry must be one of"):
        record_manual(conn, fleet.unit, Kind.RECOVERY, DAY, {**VALID[Kind.RECOVERY], "occasion": "disposal"},
                      "山田", T0)  # fmt: skip
    with pytest.raises(ValueError, match=r"at maintenance \(item 8\); at disposal it is item 9"):
        record_manual(conn, fleet.unit, Kind.RECOVERY, DAY, {**VALID[Kind.RECOVERY], "occasion": "installation"},
                      "山田", T0)  # fmt: skip
    with pytest.raises(NotFound):
        record_manual(conn, -1, Kind.MANAGER, DAY, VALID[Kind.MANAGER], "山田", T0)
    for method in ("simple", "periodic_direct", "periodic_indirect", "post_repair", "continuous_monitoring"):
        record_manual(conn, fleet.unit, Kind.INSPECTION, DAY, {**VALID[Kind.INSPECTION], "method": method},
                      "山田 花子", T0, circuit_no=1)  # fmt: skip
    assert _rows(conn) == 5


def test_a_correction_keeps_both_entries_and_the_original_cannot_be_changed(
    conn: psycopg.Connection, fleet: Fleet
) -> None:
    original = record_manual(conn, fleet.unit, Kind.CHARGE, DAY, VALID[Kind.CHARGE], "山田 花子", T0, circuit_no=1)
    fixed = correct(conn, original, {**VALID[Kind.CHARGE], "amount_kg": "3.5"}, "鈴木 次郎",
                    "証明書の充塡量の転記誤り", T0 + timedelta(days=1))  # fmt: skip
    first, second = entries(conn, fleet.unit)
    assert (first.id, first.superseded_by, first.details["amount_kg"]) == (original, fixed, "2.5")
    assert (second.id, second.corrects_id, second.superseded) == (fixed, original, False)
    assert second.details["amount_kg"] == "3.5"
    assert second.details["correction"] == {"by": "鈴木 次郎", "reason": "証明書の充塡量の転記誤り"}
    assert (second.kind, second.circuit_no, second.occurred_on) == (Kind.CHARGE, 1, DAY)
    assert second.recorded_by == "鈴木 次郎"
    assert totals(entries(conn, fleet.unit), RefrigerantRegistry.default()).charged_kg == Decimal("3.5")
    with pytest.raises(ValueError, match="corrected already by entry"):
        correct(conn, original, VALID[Kind.CHARGE], "鈴木 次郎", "again", T0)
    with pytest.raises(ValueError, match="needs its reason"):
        correct(conn, fixed, VALID[Kind.CHARGE], "鈴木 次郎", " ", T0)
    with pytest.raises(ValueError, match="needs amount_kg"):
        correct(conn, fixed, {"contractor": "x", "refrigerant": "R404A", "occasion": "maintenance"}, "鈴木", "r", T0)
    for statement in (
        "UPDATE logbook_entry SET details = '{}' WHERE id = %s",
        "DELETE FROM logbook_entry WHERE id = %s",
    ):
        conn.execute("SAVEPOINT s")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="is not allowed"):
            conn.execute(statement, (original,))
        conn.execute("ROLLBACK TO SAVEPOINT s")
    conn.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("TRUNCATE logbook_entry")
    conn.execute("ROLLBACK TO SAVEPOINT s")
    assert [e.id for e in entries(conn, fleet.unit)] == [original, fixed]


def _work(conn: psycopg.Connection, fleet: Fleet) -> int:
    """A leak on circuit 1: emergency charge (d2) case 2, ticket located → repaired → verified, a recovery."""
    leak_id = _leak(conn, fleet)
    ticket_id = open_ticket(conn, fleet.unit, 1, leak_case_id=leak_id, opened_at=_at(0))
    _charge(conn, fleet, _emergency(charged_day=1, planned_day=20), ticket_id=ticket_id)
    for n, target in enumerate([Status.DISPATCHED, Status.LEAK_LOCATED, Status.REPAIRED, Status.VERIFIED], 2):
        transition(conn, ticket_id, fleet.technician, target, at=_at(n), qualified_person=QUALIFIED,
                   note="フレア継手の再加工" if target is Status.REPAIRED else "")  # fmt: skip
    record_recovery(conn, fleet.unit, 1, Recovery("R404A", Decimal("1.25"), _day(6)), certificate_no="R-0001",
                    contractor_id=fleet.contractor_id, qualified_person=QUALIFIED, person=fleet.technician)  # fmt: skip
    _charge(conn, fleet, ChargeRequest("R404A", Decimal("4"), Occasion.MAINTENANCE, _day(7)), certificate_no="C-2")
    return leak_id


def test_feeding_writes_the_records_once(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (e1) items 4-8 from tickets, the leak case and the certificates (f)
    leak_id = _work(conn, fleet)
    written = feed_from_records(conn, fleet.unit, _at(8))
    assert len(written) == 7
    book = entries(conn, fleet.unit)
    assert [(e.occurred_on, e.kind, e.source) for e in book] == [
        (_day(1), Kind.REPAIR_DIFFICULTY, Source.LEAK_CASE),
        (_day(1), Kind.CHARGE, Source.CERTIFICATE),
        (_day(3), Kind.INSPECTION, Source.TICKET),
        (_day(4), Kind.REPAIR, Source.TICKET),
        (_day(5), Kind.INSPECTION, Source.TICKET),
        (_day(6), Kind.RECOVERY, Source.CERTIFICATE),
        (_day(7), Kind.CHARGE, Source.CERTIFICATE),
    ]
    difficulty, emergency, located, repaired, verified, recovery, charge = book
    assert difficulty.details["planned_repair_on"] == _day(20).isoformat()
    assert difficulty.details["leak_case_id"] == leak_id and "応急充塡" in difficulty.details["reason"]
    assert (emergency.details["emergency"], emergency.details["amount_kg"]) == ("goods", "2.500")
    assert (located.details["method"], located.details["inspector"], located.details["leak_found"]) == (
        "periodic_direct", QUALIFIED.name, True)  # fmt: skip
    assert (repaired.details["repairer"], repaired.details["content"]) == (QUALIFIED.name, "フレア継手の再加工")
    assert verified.details["method"] == "post_repair"
    assert (recovery.details["contractor"], recovery.details["refrigerant"], recovery.details["amount_kg"]) == (
        "冷熱サービス", "R404A", "1.250")  # fmt: skip
    assert charge.details["certificate_no"] == "C-2" and all(e.recorded_by == "fluorowatch" for e in book)
    before = _rows(conn)
    assert feed_from_records(conn, fleet.unit, _at(9)) == []
    assert _rows(conn) == before
    result = totals(book, RefrigerantRegistry.default())
    assert (result.charged_kg, result.recovered_kg, result.emitted_kg) == (Decimal("6.5"), Decimal("1.25"),
                                                                           Decimal("5.25"))  # fmt: skip
    assert result.t_co2 == Decimal("5.25") * 3920 / 1000


def test_a_disposal_recovery_is_item_9(conn: psycopg.Connection, fleet: Fleet) -> None:
    record_recovery(conn, fleet.unit, 1, Recovery("R404A", Decimal("11.5"), _day(30), Occasion.DISPOSAL),
                    certificate_no="R-9", contractor_id=fleet.contractor_id, qualified_person=QUALIFIED,
                    person=fleet.technician)  # fmt: skip
    feed_from_records(conn, fleet.unit, _at(31))
    (entry,) = entries(conn, fleet.unit)
    assert (entry.kind, entry.details["outcome"], entry.details["contractor"]) == (Kind.DISPOSAL, "recovered",
                                                                                  "冷熱サービス")  # fmt: skip
    assert totals([entry], RefrigerantRegistry.default()).recovered_kg == 0  # maintenance only (e2), (g1)


def test_export_and_import_hand_the_whole_logbook_over(conn: psycopg.Connection, fleet: Fleet) -> None:
    # REGULATION.md (e): on sale, the logbook goes with the unit
    _work(conn, fleet)
    feed_from_records(conn, fleet.unit, _at(8))
    for kind, details in VALID.items():
        record_manual(conn, fleet.unit, kind, DAY, details, "山田 花子", T0)
    first = entries(conn, fleet.unit)[0].id
    correct(conn, first, {**VALID[Kind.MANAGER], "name": "Acme Japan株式会社"}, "鈴木 次郎", "社名変更", T0)
    exported = export_json(conn, fleet.unit)
    buyer_unit = fleet.world.units[1]
    new_ids = import_json(conn, buyer_unit, exported)
    original, copied = entries(conn, fleet.unit), entries(conn, buyer_unit)
    assert len(new_ids) == len(original) == len(copied) == 17
    assert all(e.source is Source.IMPORT and e.source_id is None for e in copied)
    old_to_new = dict(zip(sorted(e.id for e in original), new_ids, strict=True))

    def shape(e: Any, ids: dict[int, int] | None = None) -> tuple[Any, ...]:
        move = (lambda i: None if i is None else ids[i]) if ids else (lambda i: i)
        return (move(e.id), e.circuit_no, e.kind, e.occurred_on, e.recorded_at, e.recorded_by, e.details,
                move(e.corrects_id), move(e.superseded_by))  # fmt: skip

    assert [shape(e, old_to_new) for e in original] == [shape(e) for e in copied]
    again = json.loads(export_json(conn, buyer_unit))["entries"]
    first_export = json.loads(exported)["entries"]
    keep = ("circuit_no", "kind", "occurred_on", "recorded_at", "recorded_by", "details")
    assert [{k: e[k] for k in keep} for e in again] == [{k: e[k] for k in keep} for e in first_export]
    with pytest.raises(ValueError, match="not a fluorowatch-logbook"):
        import_json(conn, buyer_unit, "{}")


def test_the_csv_opens_in_excel_with_japanese_headers(conn: psycopg.Connection, fleet: Fleet) -> None:
    record_manual(conn, fleet.unit, Kind.CHARGE, DAY, VALID[Kind.CHARGE], "山田 花子", T0, circuit_no=1)
    original = entries(conn, fleet.unit)[0].id
    correct(conn, original, {**VALID[Kind.CHARGE], "amount_kg": "3.0"}, "鈴木 次郎", "転記誤り", T0)
    text = export_csv(conn, fleet.unit)
    assert text.startswith("\ufeff記録番号,作業日,記録項目")
    header, first, second = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert "充塡量(kg)" in header and "回収量(kg)" in header
    assert first[header.index("充塡量(kg)")] == "2.5" and first[header.index("状態")].startswith("訂正済み")
    assert second[header.index("充塡量(kg)")] == "3.0" and second[header.index("状態")] == "有効"
    assert "訂正: 鈴木 次郎: 転記誤り" in second[header.index("内容")]
    assert "設置時・整備時: 整備時" in first[header.index("内容")]


def test_the_worker_job_feeds_every_unit_with_records_once(conn: psycopg.Connection, fleet: Fleet) -> None:
    """The ticket is the source, the logbook the legal record (REGULATION.md (e)): the job keeps them in step."""
    from compliance.jobs import feed_logbooks

    _work(conn, fleet)
    assert feed_logbooks(conn, _at(8)) == 7
    assert feed_logbooks(conn, _at(9)) == 0
