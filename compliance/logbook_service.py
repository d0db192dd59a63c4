"""The logbook (点検整備記録簿, REGULATION.md (e)) against the database.

The connection is passed in and the caller commits; every moment is passed in, nothing here reads a clock.
Entries are append-only (migration 0012): `correct` writes a new entry naming the one it corrects, and `entries`
returns both, the corrected one marked superseded. `feed_from_records` writes the entries the other records
already say (ticket transitions, leak cases, charge and recovery certificates), once each. `export_json` and
`import_json` hand a unit's logbook to the company that buys it ((e): hand over the logbook on sale).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import psycopg

from compliance.logbook import (
    KIND_LABELS,
    ChargeOccasion,
    DisposalOutcome,
    Entry,
    InspectionMethod,
    Kind,
    Source,
    render,
    render_value,
    validate,
)
from compliance.ticket_service import NotFound, local_date
from storage import logbook_queries as q

SYSTEM = "fluorowatch"
EXPORT_FORMAT = "fluorowatch-logbook"
EXPORT_VERSION = 1

_EMERGENCY_LABELS = {
    "health": "環境衛生上必要な空気環境の調整のための応急充塡",
    "goods": "冷蔵・冷凍する物品の衛生管理のための応急充塡",
    "business": "事業の継続のための応急充塡",
}


def record_manual(
    conn: psycopg.Connection, equipment_id: int, kind: Kind | str, occurred_on: date, details: Mapping[str, Any],
    recorded_by: str, recorded_at: datetime, circuit_no: int | None = None,
) -> int:  # fmt: skip
    """Write an entry a person made; the details must carry the fields the item requires (REGULATION.md (e1))."""
    _need_unit(conn, equipment_id)
    kind = Kind(kind)
    return _written(_insert(conn, equipment_id, circuit_no, kind, occurred_on, validate(kind, details),
                            recorded_by, recorded_at, Source.MANUAL))  # fmt: skip


def correct(
    conn: psycopg.Connection, entry_id: int, details: Mapping[str, Any], recorded_by: str, reason: str,
    recorded_at: datetime, *, occurred_on: date | None = None,
) -> int:  # fmt: skip
    """Correct an entry: a new entry of the same kind, unit and circuit, with the full corrected details and who
    corrected it and why under ``correction``. The original stays. Returns the correction's id."""
    original = q.entry(conn, entry_id)
    if original is None:
        raise NotFound(f"no logbook entry {entry_id}")
    if original["superseded_by"] is not None:
        raise ValueError(
            f"entry {entry_id} was corrected already by entry {original['superseded_by']}: correct that one"
        )
    if not reason.strip():
        raise ValueError("a correction needs its reason")
    if not recorded_by.strip():
        raise ValueError("a correction needs who made it")
    kind = Kind(original["kind"])
    fields = {k: v for k, v in details.items() if k != "correction"}
    fixed = validate(kind, fields)
    fixed["correction"] = {"by": recorded_by.strip(), "reason": reason.strip()}
    return _written(_insert(
        conn, original["equipment_id"], original["circuit_no"], kind, occurred_on or original["occurred_on"], fixed,
        recorded_by, recorded_at, Source.MANUAL, corrects_id=entry_id,
    ))  # fmt: skip


def feed_from_records(conn: psycopg.Connection, equipment_id: int, recorded_at: datetime) -> list[int]:
    """Write the entries the unit's other records already say, each once (a second run writes nothing):

    * a ticket moved to leak located → inspection (item 4, direct method by the qualified person);
      repaired → repair (item 5); verified → inspection after the repair (item 4, (d1));
    * a leak case with a planned repair date → repair difficulty (item 6): the hard-to-reach reason, or the
      emergency of its case-2 charge ((d2));
    * a charge certificate → charge (item 7); a recovery certificate at maintenance → recovery (item 8), at
      disposal → disposal (item 9).

    Returns the ids of the entries written."""
    _need_unit(conn, equipment_id)
    written: list[int] = []

    def add(kind: Kind, source: Source, source_id: int, on: date, circuit_no: int, details: dict[str, Any]) -> None:
        new = _insert(conn, equipment_id, circuit_no, kind, on, validate(kind, details), SYSTEM, recorded_at,
                      source, source_id=source_id, if_new=True)  # fmt: skip
        if new is not None:
            written.append(new)

    for t in q.ticket_transitions(conn, equipment_id, ("leak_located", "repaired", "verified")):
        who = t["qualified_person"] or t["actor"]
        common = {"company": t["contractor"], "technician_no": t["qualification_no"], "ticket_id": t["ticket_id"],
                  "leak_case_id": t["leak_case_id"]}  # fmt: skip
        note = t["note"].strip()
        on = local_date(t["at"])
        if t["to_status"] == "leak_located":
            add(Kind.INSPECTION, Source.TICKET, t["id"], on, t["circuit_no"], {
                **common, "inspector": who, "method": InspectionMethod.PERIODIC_DIRECT,
                "content": "漏えい箇所の特定", "result": note or "漏えいあり・箇所を特定", "leak_found": True,
            })  # fmt: skip
        elif t["to_status"] == "repaired":
            add(Kind.REPAIR, Source.TICKET, t["id"], on, t["circuit_no"], {
                **common, "repairer": who, "content": note or "漏えい修理", "result": "修理完了",
            })  # fmt: skip
        else:
            add(Kind.INSPECTION, Source.TICKET, t["id"], on, t["circuit_no"], {
                **common, "inspector": who, "method": InspectionMethod.POST_REPAIR,
                "content": "修理後の漏えい確認", "result": note or "漏えいなしを確認", "leak_found": False,
            })  # fmt: skip

    for leak in q.leak_cases_with_planned_repair(conn, equipment_id):
        reason = leak["hard_to_reach_reason"].strip() or _EMERGENCY_LABELS.get(leak["emergency"] or "", "")
        if not reason:  # item 6 needs the reason; without one there is nothing lawful to write
            continue
        add(Kind.REPAIR_DIFFICULTY, Source.LEAK_CASE, leak["id"], leak["first_charge_on"] or leak["confirmed_on"],
            leak["circuit_no"], {"reason": reason, "planned_repair_on": leak["planned_repair_on"],
                                 "leak_case_id": leak["id"], "emergency": leak["emergency"]})  # fmt: skip

    for m in q.movements(conn, equipment_id):
        details: dict[str, Any] = {
            "contractor": m["contractor"], "contractor_registration_no": m["contractor_registration_no"],
            "refrigerant": m["refrigerant"], "amount_kg": m["amount_kg"], "certificate_no": m["certificate_no"],
            "technician": m["qualified_person"], "technician_no": m["qualification_no"],
            "ticket_id": m["ticket_id"], "leak_case_id": m["leak_case_id"],
        }  # fmt: skip
        if m["kind"] == "charge":
            details.update(occasion=ChargeOccasion(m["occasion"]), emergency=m["emergency"])
            add(Kind.CHARGE, Source.CERTIFICATE, m["id"], m["work_date"], m["circuit_no"], details)
        elif m["occasion"] == "disposal":
            details["outcome"] = DisposalOutcome.RECOVERED
            add(Kind.DISPOSAL, Source.CERTIFICATE, m["id"], m["work_date"], m["circuit_no"], details)
        else:
            add(Kind.RECOVERY, Source.CERTIFICATE, m["id"], m["work_date"], m["circuit_no"], details)
    return written


def entries(conn: psycopg.Connection, equipment_id: int) -> list[Entry]:
    """The unit's logbook by date, then by the order written; a corrected entry is kept and marked superseded."""
    return [_entry(row) for row in q.entries(conn, equipment_id)]


CSV_HEADER = ["記録番号", "作業日", "記録項目", "区分", "系統", "冷媒", "充塡量(kg)", "回収量(kg)", "内容",
              "記録者", "記録日時", "記録元", "訂正対象の記録番号", "状態"]  # fmt: skip


def export_csv(conn: psycopg.Connection, equipment_id: int) -> str:
    """The logbook as CSV for Excel: UTF-8 with a BOM, Japanese headers, one row per entry (superseded ones too,
    marked 訂正済み), the amounts charged and recovered in their own columns as in the example logbook (e2)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(export_rows(conn, equipment_id))
    return "\ufeff" + out.getvalue()


def export_rows(conn: psycopg.Connection, equipment_id: int) -> list[list[object]]:
    """The rows of the logbook exports (CSV and XLSX), under `CSV_HEADER`."""
    _need_unit(conn, equipment_id)
    rows: list[list[object]] = []
    for e in entries(conn, equipment_id):
        amount = render_value("amount_kg", e.details.get("amount_kg"))
        rows.append([
            e.id, e.occurred_on.isoformat(), f"{e.kind.item}", KIND_LABELS[e.kind],
            "" if e.circuit_no is None else e.circuit_no, e.details.get("refrigerant", ""),
            amount if e.kind is Kind.CHARGE else "", amount if e.kind in (Kind.RECOVERY, Kind.DISPOSAL) else "",
            " / ".join(f"{label}: {text}" for label, text in render(e) if text),
            e.recorded_by, e.recorded_at.isoformat(), e.source.value, e.corrects_id or "",
            f"訂正済み(記録番号{e.superseded_by}で訂正)" if e.superseded else "有効",
        ])  # fmt: skip
    return rows


def export_json(conn: psycopg.Connection, equipment_id: int) -> str:
    """The whole logbook of the unit, every entry with its original dates, author, source and corrections."""
    header = q.unit_header(conn, equipment_id)
    if header is None:
        raise NotFound(f"no unit {equipment_id}")
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "unit": {k: _plain(v) for k, v in header.items()},
        "entries": [
            {"id": e.id, "circuit_no": e.circuit_no, "kind": e.kind.value, "occurred_on": e.occurred_on.isoformat(),
             "recorded_at": e.recorded_at.isoformat(), "recorded_by": e.recorded_by, "details": dict(e.details),
             "source": e.source.value, "source_id": e.source_id, "corrects_id": e.corrects_id}
            for e in sorted(entries(conn, equipment_id), key=lambda e: e.id)
        ],
    }  # fmt: skip
    return json.dumps(document, ensure_ascii=False, indent=1)


def import_json(conn: psycopg.Connection, equipment_id: int, document: str) -> list[int]:
    """Take over a logbook exported by `export_json` (another company's, on sale of the unit) into
    ``equipment_id``: every entry is written with source 'import', its original dates, author and details, and
    corrections pointing at the imported copies. Returns the new ids in the original order."""
    _need_unit(conn, equipment_id)
    data = json.loads(document)
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT or data.get("version") != EXPORT_VERSION:
        raise ValueError(f"not a {EXPORT_FORMAT} version {EXPORT_VERSION} document")
    new_ids: dict[int, int] = {}
    for item in sorted(data["entries"], key=lambda i: int(i["id"])):
        kind = Kind(item["kind"])
        details = dict(item["details"])
        correction = details.pop("correction", None)
        fixed = validate(kind, details)
        if correction is not None:
            fixed["correction"] = correction
        corrects = item.get("corrects_id")
        if corrects is not None and corrects not in new_ids:
            raise ValueError(f"entry {item['id']} corrects entry {corrects}, which the document does not hold")
        new_ids[int(item["id"])] = _written(_insert(
            conn, equipment_id, item.get("circuit_no"), kind, date.fromisoformat(item["occurred_on"]), fixed,
            item["recorded_by"], datetime.fromisoformat(item["recorded_at"]), Source.IMPORT,
            corrects_id=None if corrects is None else new_ids[corrects],
        ))  # fmt: skip
    return list(new_ids.values())


def _insert(
    conn: psycopg.Connection, equipment_id: int, circuit_no: int | None, kind: Kind, occurred_on: date,
    details: dict[str, Any], recorded_by: str, recorded_at: datetime, source: Source, *,
    source_id: int | None = None, corrects_id: int | None = None, if_new: bool = False,
) -> int | None:  # fmt: skip
    if not recorded_by.strip():
        raise ValueError("an entry needs who recorded it")
    if recorded_at.tzinfo is None:
        raise ValueError("recorded_at must carry its time zone")
    return q.insert_entry(
        conn, {"equipment_id": equipment_id, "circuit_no": circuit_no, "kind": kind.value, "occurred_on": occurred_on,
               "recorded_at": recorded_at, "recorded_by": recorded_by.strip(), "details": details,
               "source": source.value, "source_id": source_id, "corrects_id": corrects_id},
        if_new=if_new,
    )  # fmt: skip


def _written(entry_id: int | None) -> int:
    assert entry_id is not None  # only feeding skips entries already written
    return entry_id


def _entry(row: Mapping[str, Any]) -> Entry:
    return Entry(
        id=int(row["id"]), equipment_id=int(row["equipment_id"]), circuit_no=row["circuit_no"],
        kind=Kind(row["kind"]), occurred_on=row["occurred_on"], recorded_at=row["recorded_at"],
        recorded_by=row["recorded_by"], details=row["details"], source=Source(row["source"]),
        source_id=row["source_id"], corrects_id=row["corrects_id"], superseded_by=row["superseded_by"],
    )  # fmt: skip


def _need_unit(conn: psycopg.Connection, equipment_id: int) -> None:
    if not q.unit_exists(conn, equipment_id):
        raise NotFound(f"no unit {equipment_id}")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else str(value) if not isinstance(value, str | None) else value
