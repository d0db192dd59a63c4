"""The logbook (点検整備記録簿, REGULATION.md (e)): the kinds of entry, the fields each must carry, their
Japanese rendering, and the refrigerant totals of the example logbook (e2). Pure: no I/O, no clock.

An entry's ``details`` is a JSON object. Amounts are kept as decimal strings ("20.0") so that they stay exact;
dates as ISO strings. `validate` checks and normalises the details of a kind; a missing or empty required field
raises `ValueError` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from fluorowatch.domain.refrigerants import RefrigerantRegistry, normalise_refrigerant_name


class Kind(StrEnum):
    """One per record item of REGULATION.md (e1), in the item order."""

    MANAGER = "manager"  # 1
    UNIT = "unit"  # 2
    REFRIGERANT = "refrigerant"  # 3
    INSPECTION = "inspection"  # 4
    REPAIR = "repair"  # 5
    REPAIR_DIFFICULTY = "repair_difficulty"  # 6
    CHARGE = "charge"  # 7
    RECOVERY = "recovery"  # 8
    DISPOSAL = "disposal"  # 9

    @property
    def item(self) -> int:
        """The item number of (e1)."""
        return list(Kind).index(self) + 1


class Source(StrEnum):
    TICKET = "ticket"  # a ticket transition (leak located, repaired, verified)
    LEAK_CASE = "leak_case"  # item 6 of a leak case
    CERTIFICATE = "certificate"  # a charge or recovery certificate (f)
    DIAGNOSIS = "diagnosis"
    MANUAL = "manual"
    IMPORT = "import"  # handed over with the unit on sale (e)


class InspectionMethod(StrEnum):
    SIMPLE = "simple"  # 簡易点検 (b1)
    PERIODIC_DIRECT = "periodic_direct"  # 定期点検・直接法 (b2)
    PERIODIC_INDIRECT = "periodic_indirect"  # 定期点検・間接法 (b2), (c)
    POST_REPAIR = "post_repair"  # 修理後の漏えい確認 (d1)
    CONTINUOUS_MONITORING = "continuous_monitoring"  # 常時監視による簡易点検の代替期間 (p)


class ChargeOccasion(StrEnum):
    INSTALLATION = "installation"  # 設置時: recorded, never in the totals (e2), (g1)
    MAINTENANCE = "maintenance"  # 整備時: item 7


class DisposalOutcome(StrEnum):
    RECOVERED = "recovered"  # the refrigerant was recovered on occurred_on
    CONFIRMED_EMPTY = "confirmed_empty"  # it was confirmed on occurred_on that no refrigerant was inside


KIND_LABELS: Mapping[Kind, str] = {
    Kind.MANAGER: "管理者",
    Kind.UNIT: "設置場所・機器",
    Kind.REFRIGERANT: "冷媒の種類・量",
    Kind.INSPECTION: "点検",
    Kind.REPAIR: "修理",
    Kind.REPAIR_DIFFICULTY: "速やかな修理が困難な理由・修理予定日",
    Kind.CHARGE: "充塡",
    Kind.RECOVERY: "回収",
    Kind.DISPOSAL: "廃棄時の回収・冷媒なし確認",
}

METHOD_LABELS: Mapping[InspectionMethod, str] = {
    InspectionMethod.SIMPLE: "簡易点検",
    InspectionMethod.PERIODIC_DIRECT: "定期点検(直接法)",
    InspectionMethod.PERIODIC_INDIRECT: "定期点検(間接法)",
    InspectionMethod.POST_REPAIR: "修理後の漏えい確認",
    InspectionMethod.CONTINUOUS_MONITORING: "常時監視期間",
}

# The Japanese name of every field an entry may carry (the columns of the example logbook (e2) where it has one).
FIELD_LABELS: Mapping[str, str] = {
    "name": "管理者名",
    "place": "設置場所",
    "identification": "機器を特定する情報",
    "refrigerant": "冷媒の種類",
    "amount_kg": "量(kg)",
    "inspector": "点検者",
    "method": "点検内容(方法)",
    "content": "内容",
    "result": "結果",
    "leak_found": "漏えいの有無",
    "cause": "漏えい・故障の原因",
    "location": "漏えい・故障の箇所",
    "repairer": "修理者",
    "company": "点検・修理・回収業者",
    "technician_no": "技術者番号",
    "reason": "修理が困難な理由",
    "planned_repair_on": "修理予定日",
    "contractor": "充塡回収業者",
    "contractor_registration_no": "登録番号",
    "technician": "技術者氏名",
    "occasion": "設置時・整備時",
    "certificate_no": "証明書番号",
    "emergency": "応急充塡の理由",
    "outcome": "廃棄時の処置",
    "ticket_id": "チケット番号",
    "leak_case_id": "漏えい案件番号",
    "correction": "訂正",
}

_TEXT, _KG, _DATE, _BOOL, _INT = "text", "kg", "date", "bool", "int"

# Required fields of each kind (REGULATION.md (e1)); the entry's own date (occurred_on) is the item's date.
REQUIRED: Mapping[Kind, Mapping[str, str]] = {
    Kind.MANAGER: {"name": _TEXT},
    Kind.UNIT: {"place": _TEXT, "identification": _TEXT},
    Kind.REFRIGERANT: {"refrigerant": _TEXT, "amount_kg": _KG},
    Kind.INSPECTION: {"inspector": _TEXT, "method": _TEXT, "content": _TEXT, "result": _TEXT},
    Kind.REPAIR: {"repairer": _TEXT, "content": _TEXT, "result": _TEXT},
    Kind.REPAIR_DIFFICULTY: {"reason": _TEXT, "planned_repair_on": _DATE},
    Kind.CHARGE: {"contractor": _TEXT, "refrigerant": _TEXT, "amount_kg": _KG, "occasion": _TEXT},
    Kind.RECOVERY: {"contractor": _TEXT, "refrigerant": _TEXT, "amount_kg": _KG},
    Kind.DISPOSAL: {"contractor": _TEXT, "outcome": _TEXT},
}

# Optional fields with a type; any other field is kept as given (it must be JSON).
_TYPED: Mapping[str, str] = {
    "amount_kg": _KG,
    "planned_repair_on": _DATE,
    "leak_found": _BOOL,
    "ticket_id": _INT,
    "leak_case_id": _INT,
}

_CHOICES: Mapping[str, type[StrEnum]] = {
    "method": InspectionMethod,
    "occasion": ChargeOccasion,
    "outcome": DisposalOutcome,
}


def validate(kind: Kind | str, details: Mapping[str, Any]) -> dict[str, Any]:
    """The details of an entry of ``kind``, checked and normalised for JSON (amounts as exact decimal strings,
    dates as ISO strings, text stripped). Raises `ValueError` naming the first missing or invalid field."""
    kind = Kind(kind)
    required = REQUIRED[kind]
    out: dict[str, Any] = {}
    for field in required:
        value = details.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(
                f"a {kind.value} entry needs {field} ({FIELD_LABELS.get(field, field)}; REGULATION.md (e1) "
                f"item {kind.item})"
            )
    for field, value in details.items():
        if value is None:
            continue
        form = required.get(field) or _TYPED.get(field)
        out[field] = _normalise(kind, field, value, form)
    if kind is Kind.RECOVERY and out.get("occasion", "maintenance") != "maintenance":
        raise ValueError("occasion: a recovery entry is a recovery at maintenance (item 8); at disposal it is item 9")
    return out


def _normalise(kind: Kind, field: str, value: Any, form: str | None) -> Any:
    if field in _CHOICES:
        choices = _CHOICES[field]
        try:
            return choices(str(value).strip()).value
        except ValueError:
            allowed = ", ".join(c.value for c in choices)
            raise ValueError(f"{field} of the {kind.value} entry must be one of {allowed}, not {value!r}") from None
    if form == _TEXT:
        if not isinstance(value, str):
            raise ValueError(f"{field} of the {kind.value} entry must be text, not {value!r}")
        return value.strip()
    if form == _KG:
        return str(parse_kg(value, field))
    if form == _DATE:
        if isinstance(value, datetime):
            raise ValueError(f"{field} of the {kind.value} entry is a date, not a moment")
        try:
            return (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
        except ValueError:
            raise ValueError(f"{field} of the {kind.value} entry must be a date (YYYY-MM-DD), not {value!r}") from None
    if form == _BOOL:
        if not isinstance(value, bool):
            raise ValueError(f"{field} of the {kind.value} entry must be true or false, not {value!r}")
        return value
    if form == _INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{field} of the {kind.value} entry must be a whole number, not {value!r}")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def parse_kg(value: Any, field: str = "amount_kg") -> Decimal:
    """An exact positive amount in kg (floats are refused: they are not exact)."""
    if isinstance(value, float | bool):
        raise ValueError(f"{field} must be an exact decimal (a string or Decimal), not {value!r}")
    try:
        kg = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field} must be a number of kg, not {value!r}") from None
    if not kg.is_finite() or kg <= 0:
        raise ValueError(f"{field} must be a positive number of kg, not {value!r}")
    return kg


@dataclass(frozen=True)
class Entry:
    """One logbook entry as stored; ``superseded_by`` is the id of the correction that replaces it, if any."""

    id: int
    equipment_id: int
    circuit_no: int | None
    kind: Kind
    occurred_on: date
    recorded_at: datetime
    recorded_by: str
    details: Mapping[str, Any]
    source: Source
    source_id: int | None
    corrects_id: int | None
    superseded_by: int | None = None

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None


def render(entry: Entry) -> list[tuple[str, str]]:
    """The entry's fields as (Japanese label, text) pairs, required fields first, in a stable order."""
    pairs: list[tuple[str, str]] = []
    order = [*REQUIRED[entry.kind], *sorted(f for f in entry.details if f not in REQUIRED[entry.kind])]
    for field in order:
        if field in entry.details:
            pairs.append((FIELD_LABELS.get(field, field), render_value(field, entry.details[field])))
    return pairs


def render_value(field: str, value: Any) -> str:
    if field == "method":
        try:
            return METHOD_LABELS[InspectionMethod(value)]
        except ValueError:
            return str(value)
    if field == "occasion":
        return {"installation": "設置時", "maintenance": "整備時"}.get(str(value), str(value))
    if field == "outcome":
        return {"recovered": "回収", "confirmed_empty": "冷媒なしを確認"}.get(str(value), str(value))
    if field == "leak_found" and isinstance(value, bool):
        return "有" if value else "無"
    if field == "correction" and isinstance(value, Mapping):
        return f"{value.get('by', '')}: {value.get('reason', '')}"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Totals:
    """The refrigerant totals of the example logbook's header (REGULATION.md (e2))."""

    charged_kg: Decimal  # at maintenance only: the installation charge is not counted
    recovered_kg: Decimal  # at maintenance only
    emitted_kg: Decimal  # charged - recovered (may be negative, (n) #7)
    t_co2: Decimal  # sum over refrigerants of emitted kg x GWP / 1000, exact


def totals(entries: Iterable[Entry], registry: RefrigerantRegistry) -> Totals:
    """Charged, recovered and emitted kg at maintenance, and t-CO2, over the entries in force (a superseded entry
    counts through its correction only)."""
    charged = recovered = Decimal(0)
    emitted_by_refrigerant: dict[str, Decimal] = {}
    for entry in entries:
        if entry.superseded:
            continue
        if entry.kind is Kind.CHARGE and entry.details.get("occasion") == ChargeOccasion.MAINTENANCE:
            sign = Decimal(1)
        elif entry.kind is Kind.RECOVERY:
            sign = Decimal(-1)
        else:
            continue
        kg = parse_kg(entry.details["amount_kg"])
        if sign > 0:
            charged += kg
        else:
            recovered += kg
        name = normalise_refrigerant_name(str(entry.details["refrigerant"]))
        emitted_by_refrigerant[name] = emitted_by_refrigerant.get(name, Decimal(0)) + sign * kg
    t_co2 = sum(
        (kg * registry.gwp(name) / 1000 for name, kg in sorted(emitted_by_refrigerant.items())), start=Decimal(0)
    )
    return Totals(charged, recovered, charged - recovered, t_co2)
