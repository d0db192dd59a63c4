"""A unit's logbook printed on A4 (landscape), laid out after the industry's generic logbook, JARAC's
冷媒漏洩点検・整備記録簿 (汎用版) (REGULATION.md (e2)): the header that identifies the manager, the place and the unit
with the refrigerant totals, then the work history, one row per entry, in the example's columns. Pure: the caller
passes the header, the entries, the totals and the date printed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from compliance.logbook import KIND_LABELS, METHOD_LABELS, Entry, InspectionMethod, Kind, Totals
from compliance.pdf import JapaneseForm

TITLE = "冷媒漏えい点検・整備記録簿"

HISTORY_HEADER = (
    "No.", "作業日", "点検・整備区分", "充塡量(kg)", "回収量(kg)", "点検内容(方法)", "点検結果",
    "漏えい・故障の原因", "漏えい・故障の箇所", "修理内容", "点検・修理・回収業者", "技術者氏名", "技術者番号",
    "修理が困難な理由", "修理予定日",
)  # fmt: skip
HISTORY_WIDTHS = (9, 17, 23, 15, 15, 26, 20, 18, 18, 20, 24, 15, 14, 24, 16)


@dataclass(frozen=True)
class LogbookSheet:
    """The header of the logbook (REGULATION.md (e2)): who manages the unit, where it is, what it is."""

    management_no: str
    manager: str
    site_name: str
    site_address: str
    equipment_kind: str
    manufacturer: str
    model: str
    serial_no: str
    installed_on: date | None
    disposed_on: date | None
    refrigerant: str
    gwp: int
    charge_kg: Decimal
    circuits: tuple[int, ...]


def logbook_pdf(sheet: LogbookSheet, entries: Sequence[Entry], totals: Totals, printed_on: date) -> bytes:
    form = JapaneseForm(f"{TITLE} {sheet.management_no}", printed_on, landscape=True)
    form.add_page()
    form.heading(TITLE)
    form.key_values(header_pairs(sheet, entries))
    form.key_values(totals_pairs(sheet, totals), per_row=5, label_width=2.6)
    rows = [history_row(e) for e in entries]
    form.grid(HISTORY_HEADER, rows, HISTORY_WIDTHS, muted_rows=frozenset(n for n, e in enumerate(entries)
                                                                         if e.superseded))  # fmt: skip
    for note in correction_notes(entries):
        form.note(note)
    return form.to_bytes()


def header_pairs(sheet: LogbookSheet, entries: Sequence[Entry]) -> list[tuple[str, str]]:
    dates = [e.occurred_on for e in entries]
    period = f"{min(dates).isoformat()} 〜 {max(dates).isoformat()}" if dates else "記録なし"
    circuits = "、".join(f"系統{n}" for n in sheet.circuits)
    return [
        ("管理番号", sheet.management_no), ("記録期間", period), ("管理者", sheet.manager),
        ("施設名称", sheet.site_name), ("施設住所", sheet.site_address), ("系統名", circuits),
        ("機器区分", sheet.equipment_kind), ("型式", sheet.model), ("製造番号", sheet.serial_no),
        ("機器製造業者", sheet.manufacturer), ("設置年月日", _date(sheet.installed_on)),
        ("廃棄年月日", _date(sheet.disposed_on)),
        ("使用冷媒", sheet.refrigerant), ("初期充塡量(kg)", kg_text(sheet.charge_kg)),
        ("点検・整備業者", "、".join(contractors(entries))),
    ]  # fmt: skip


def totals_pairs(sheet: LogbookSheet, totals: Totals) -> list[tuple[str, str]]:
    """The example's totals: charged and recovered at maintenance (the installation charge is not counted),
    emitted = charged - recovered, and t-CO2 = emitted kg x GWP / 1000 (REGULATION.md (e2))."""
    return [
        ("充塡量合計(kg)", kg_text(totals.charged_kg)), ("回収量合計(kg)", kg_text(totals.recovered_kg)),
        ("漏えい量合計(kg)", kg_text(totals.emitted_kg)), ("CO2換算(t-CO2)", kg_text(totals.t_co2)),
        (f"GWP({sheet.refrigerant})", str(sheet.gwp)),
    ]  # fmt: skip


def history_row(entry: Entry) -> list[str]:
    d = entry.details
    amount = kg_text(Decimal(d["amount_kg"])) if "amount_kg" in d else ""
    number = str(entry.id)
    if entry.superseded:
        number += f"\n訂正済(→{entry.superseded_by})"
    elif entry.corrects_id is not None:
        number += f"\n(←{entry.corrects_id}を訂正)"
    return [
        number, entry.occurred_on.isoformat(), category(entry),
        amount if entry.kind is Kind.CHARGE else "",
        amount if entry.kind in (Kind.RECOVERY, Kind.DISPOSAL) else "",
        _content(entry), _result(entry), _text(d, "cause"), _text(d, "location"),
        _text(d, "content") if entry.kind is Kind.REPAIR else "",
        _text(d, "company") or _text(d, "contractor"),
        _text(d, "inspector") or _text(d, "repairer") or _text(d, "technician"),
        _text(d, "technician_no"), _text(d, "reason"), _text(d, "planned_repair_on"),
    ]  # fmt: skip


def category(entry: Entry) -> str:
    """The 点検・整備区分 of the row, in the words of the example logbook."""
    d = entry.details
    if entry.kind is Kind.INSPECTION:
        return METHOD_LABELS.get(InspectionMethod(d["method"]), str(d["method"]))
    if entry.kind is Kind.CHARGE:
        label = "設置時充塡" if d.get("occasion") == "installation" else "整備時充塡"
        return label + ("(応急)" if d.get("emergency") else "")
    if entry.kind is Kind.DISPOSAL:
        return "廃棄時回収" if d.get("outcome") == "recovered" else "廃棄時・冷媒なし確認"
    return {Kind.REPAIR: "漏えい修理", Kind.REPAIR_DIFFICULTY: "修理の延期", Kind.RECOVERY: "整備時回収"}.get(
        entry.kind, KIND_LABELS[entry.kind]
    )


def contractors(entries: Sequence[Entry]) -> list[str]:
    """The companies that inspected, repaired, charged or recovered, in the order they first appear."""
    seen: dict[str, None] = {}
    for e in entries:
        name = _text(e.details, "company") or _text(e.details, "contractor")
        if name:
            seen.setdefault(name)
    return list(seen)


def correction_notes(entries: Sequence[Entry]) -> list[str]:
    """One line per correction: what it corrects, who made it, why and when it was recorded."""
    notes = []
    for e in entries:
        correction = e.details.get("correction")
        if e.corrects_id is not None and isinstance(correction, Mapping):
            notes.append(f"訂正: No.{e.id} は No.{e.corrects_id} を訂正 — {correction.get('by', '')}、"
                         f"理由: {correction.get('reason', '')}({e.recorded_at.date().isoformat()} 記録)")  # fmt: skip
    return notes


def kg_text(value: Decimal) -> str:
    """An exact amount as written, with at least one decimal: 20.000 -> "20.0", 27.44 -> "27.44"."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def _content(entry: Entry) -> str:
    d = entry.details
    if entry.kind is Kind.INSPECTION:
        return _text(d, "content")
    if entry.kind in (Kind.MANAGER, Kind.UNIT, Kind.REFRIGERANT):
        return " / ".join(str(v) for k, v in d.items() if k != "correction")
    return ""


def _result(entry: Entry) -> str:
    d = entry.details
    if entry.kind not in (Kind.INSPECTION, Kind.REPAIR):
        return ""
    result, leak = _text(d, "result"), d.get("leak_found")
    if leak is None or "漏えい" in result:  # the result says it already
        return result
    return f"漏えい{'有' if leak else '無'}" + (f": {result}" if result else "")


def _text(details: Mapping[str, Any], field: str) -> str:
    value = details.get(field)
    return "" if value is None else str(value)


def _date(value: date | None) -> str:
    return "" if value is None else value.isoformat()
