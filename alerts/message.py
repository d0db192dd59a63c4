"""The text of a notification: one alert, or all of a site's alerts in one digest, in Japanese or English.

An alert is a mapping with these keys (missing optional ones are left out of the text): `id`, `event`
(raised / updated / escalated / acknowledged / resolved; default: `status`), `site` (a name, or
`{"ja": ..., "en": ...}`), `equipment` (management number), `equipment_name`, `circuit`, `category`,
`severity`, `status`, `escalation_level`, `estimated_charge_loss_pct`, `kg_per_year`, `t_co2_per_year`,
`evidence` (lines of text, each may also be `{"ja": ..., "en": ...}`), `first_seen` (datetime or ISO 8601;
naive means UTC), `link`. Times are shown in Asia/Tokyo; the payload keeps them in ISO 8601 as given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from alerts.channels.base import Language, Notification

DISPLAY_ZONE = ZoneInfo("Asia/Tokyo")
PREFIX = "[fluorowatch]"

# (Japanese, English)
CATEGORIES: dict[str, tuple[str, str]] = {
    "leak": ("冷媒漏えいの疑い", "Refrigerant leak suspected"),
    "condenser_fouling": ("凝縮器の汚れ", "Condenser fouling"),
    "evaporator_icing": ("蒸発器の着霜・氷結", "Evaporator icing"),
    "overcharge": ("冷媒の過充塡", "Refrigerant overcharge"),
    "sensor_drift": ("センサーのずれ", "Sensor drift"),
    "other_fault": ("その他の異常", "Other fault"),
    "data_gap": ("計測データの途絶", "Measurements missing"),
    "inspection_due": ("点検期限が近づいています", "Inspection due"),
    "inspection_overdue": ("点検期限を超過しています", "Inspection overdue"),
}
EVENTS: dict[str, tuple[str, str]] = {
    "raised": ("発生", "Raised"),
    "updated": ("更新", "Updated"),
    "escalated": ("エスカレーション", "Escalated"),
    "acknowledged": ("確認済み", "Acknowledged"),
    "resolved": ("解決", "Resolved"),
}
SEVERITIES: dict[str, tuple[str, str]] = {
    "critical": ("緊急", "critical"),
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低", "low"),
    "info": ("情報", "info"),
}
_SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")

# What the manager must do. Leak: REGULATION.md (d1)/(d2) — locate and repair through a contractor before any
# charge; charging an unrepaired unit is allowed only once, as an emergency, with the repair certain within 60
# days of confirming the leak. Data gap: REGULATION.md (p) イ — a day without measurement ends the substitution
# of the quarterly simple inspection.
ACTIONS: dict[str, tuple[str, str]] = {
    "leak": (
        "専門業者に漏えい箇所の特定と修理を依頼し、修理後に漏えいが止まったことを確認してください。"
        "修理せずに冷媒を充塡することは禁止されています（例外は、漏えいを確認した日から60日以内の修理が確実な場合の"
        "緊急的な1回限りの充塡のみです）。",
        "Have a qualified contractor locate and repair the leak, and confirm that it no longer leaks. Recharging "
        "without repair is prohibited; the only exception is a single emergency charge when the repair within 60 "
        "days of confirming the leak is certain.",
    ),
    "condenser_fouling": (
        "凝縮器の清掃とファンの点検を手配してください。汚れは電力を浪費し、漏えいと見分けにくくなります。",
        "Have the condenser cleaned and its fan checked: fouling wastes energy and can hide or mimic a leak.",
    ),
    "evaporator_icing": (
        "除霜、送風、扉のパッキンと商品の詰め過ぎを確認してください。",
        "Check defrosting, air flow, door seals and overloading of the case.",
    ),
    "overcharge": (
        "専門業者に冷媒量を確認させ、過剰分は回収させてください。冷媒を大気に放出することは禁止されています。",
        "Have a qualified contractor check the charge and recover any excess; releasing refrigerant is prohibited.",
    ),
    "sensor_drift": (
        "センサーの点検・校正を手配してください。それまでこの回路の漏えい判定の信頼性は下がります。",
        "Have the sensor checked or calibrated; until then leak detection on this circuit is less reliable.",
    ),
    "other_fault": (
        "専門業者に機器の点検を依頼してください。",
        "Have a contractor inspect the unit.",
    ),
    "data_gap": (
        "エッジ機器、通信と電源を確認してください。計測が途絶えている間は常時監視による簡易点検の代替が認められず、"
        "簡易点検が必要になります。",
        "Check the edge agent, its network and power. While measurements are missing, monitoring does not replace "
        "the quarterly simple inspection: that inspection is due again.",
    ),
    "inspection_due": (
        "期限までに点検を手配し、結果を点検整備記録簿に記録してください。",
        "Arrange the inspection before its due date and record the result in the logbook.",
    ),
    "inspection_overdue": (
        "点検は法令上の義務です。直ちに点検を手配し、結果を点検整備記録簿に記録してください。",
        "The inspection is a legal duty: arrange it at once and record the result in the logbook.",
    ),
}
_RESOLVED_ACTION = ("対応は不要です。記録は保存されます。", "No action needed; the record is kept.")
_LABELS: dict[str, tuple[str, str]] = {
    "site": ("事業所", "Site"),
    "unit": ("機器（管理番号）", "Unit (management no.)"),
    "circuit": ("冷媒系統", "Circuit"),
    "category": ("区分", "Category"),
    "severity": ("重要度", "Severity"),
    "status": ("状態", "Status"),
    "loss": ("推定漏えい量", "Estimated loss"),
    "rate": ("漏えい速度", "Leak rate"),
    "first_seen": ("初検知", "First seen"),
    "evidence": ("根拠", "Evidence"),
    "action": ("必要な対応", "What to do"),
    "link": ("詳細", "Details"),
}


def render_alert(alert: Mapping[str, Any], language: Language, *, idempotency_key: str,
                 link: str | None = None) -> Notification:  # fmt: skip
    """One alert's notification; `link` (the unit's page) defaults to the alert's own `link`."""
    page = link if link is not None else str(alert.get("link") or "")
    event = str(alert.get("event") or alert.get("status") or "raised")
    lines = [_headline(alert, event, language), ""]
    lines += [f"{label}: {value}" for label, value in _facts(alert, event, language)]
    lines += _evidence(alert, language)
    action = _RESOLVED_ACTION if event == "resolved" else ACTIONS.get(str(alert.get("category")))
    if action is not None:
        lines += ["", f"{_label('action', language)}:", _pick(action, language)]
    if page:
        lines += ["", f"{_label('link', language)}: {page}"]
    payload = {**_jsonable(alert), "event": event}
    return Notification(idempotency_key, _subject(alert, event, language), "\n".join(lines), language, page, payload)


def render_site_digest(site: str | Mapping[str, str], alerts: Sequence[Mapping[str, Any]], language: Language, *,
                       idempotency_key: str, link: str = "") -> Notification:  # fmt: skip
    """One notification for many alerts of one site (a site-wide event is one message, not forty); `link` is
    the site's page. Alerts are listed most severe first, each with its own link; each category's action once."""
    name = _localized(site, language)
    ordered = sorted(alerts, key=_severity_rank)
    counts = Counter(_category(a, language) for a in ordered)
    summary = ("、" if language == "ja" else ", ").join(f"{c} {n}" for c, n in counts.items())
    if language == "ja":
        subject = f"{PREFIX} {name}: {len(ordered)} 件のアラート（{summary}）"
    else:
        subject = f"{PREFIX} {name}: {len(ordered)} alert{'s' if len(ordered) != 1 else ''} ({summary})"
    lines = [f"{_label('site', language)}: {name}", ""]
    lines += [_digest_line(a, language) for a in ordered]
    categories = dict.fromkeys(str(a.get("category")) for a in ordered if a.get("event", a.get("status")) != "resolved")
    actions = [f"- {_category({'category': c}, language)}: {_pick(ACTIONS[c], language)}" for c in categories
               if c in ACTIONS]  # fmt: skip
    if actions:
        lines += ["", f"{_label('action', language)}:", *actions]
    if link:
        lines += ["", f"{_label('link', language)}: {link}"]
    worst = min((_severity_rank(a) for a in ordered), default=len(_SEVERITY_ORDER))
    payload: dict[str, Any] = {
        "site": _jsonable(site),
        "count": len(ordered),
        "severity": _SEVERITY_ORDER[worst] if worst < len(_SEVERITY_ORDER) else None,
        "alerts": [_jsonable(a) for a in ordered],
    }
    return Notification(idempotency_key, subject, "\n".join(lines), language, link, payload)


def _subject(alert: Mapping[str, Any], event: str, language: Language) -> str:
    tag = "" if event == "raised" else f"[{_pick(EVENTS.get(event, (event, event)), language)}] "
    unit = f"{alert.get('equipment', '?')} ({_localized(alert.get('site', ''), language)})"
    loss = _loss(alert, language)
    return f"{PREFIX} {tag}{_category(alert, language)}: {unit}{' ' + loss if loss else ''}"


def _headline(alert: Mapping[str, Any], event: str, language: Language) -> str:
    status = _pick(EVENTS.get(event, (event, event)), language)
    level = int(alert.get("escalation_level") or 0)
    if event == "escalated" and level:
        status += f"（レベル {level}）" if language == "ja" else f" (level {level})"
    return (
        f"{_category(alert, language)}（{status}）" if language == "ja" else f"{_category(alert, language)} ({status})"
    )


def _facts(alert: Mapping[str, Any], event: str, language: Language) -> list[tuple[str, str]]:
    facts: list[tuple[str, Any]] = [
        ("site", _localized(alert.get("site", ""), language) or None),
        ("unit", " ".join(_localized(alert.get(k), language) for k in ("equipment", "equipment_name") if alert.get(k))),
        ("circuit", alert.get("circuit")),
        ("category", _category(alert, language)),
        ("severity", _pick(SEVERITIES[s], language) if (s := alert.get("severity")) in SEVERITIES else s),
        ("status", _pick(EVENTS.get(event, (event, event)), language)),
        ("loss", _loss(alert, language, long=True)),
        ("rate", _rate(alert, language)),
        ("first_seen", _when(alert.get("first_seen"))),
    ]
    return [(_label(key, language), str(value)) for key, value in facts if value not in (None, "")]


def _evidence(alert: Mapping[str, Any], language: Language) -> list[str]:
    items = [_localized(item, language) for item in alert.get("evidence") or ()]
    return ["", f"{_label('evidence', language)}:", *(f"- {item}" for item in items)] if items else []


def _digest_line(alert: Mapping[str, Any], language: Language) -> str:
    circuit = alert.get("circuit")
    system = f" 系統{circuit}" if language == "ja" else f" circuit {circuit}"
    where = f"{alert.get('equipment', '?')}" + ("" if circuit is None else system)
    severity = alert.get("severity")
    open_, close = ("（", "）") if language == "ja" else (" (", ")")
    level = f"{open_}{_pick(SEVERITIES[severity], language)}{close}" if severity in SEVERITIES else ""
    event = str(alert.get("event") or alert.get("status") or "raised")
    state = "" if event == "raised" else f" [{_pick(EVENTS.get(event, (event, event)), language)}]"
    loss = _loss(alert, language)
    text = f"- {where}: {_category(alert, language)}{level}{state}{' ' + loss if loss else ''}"
    return f"{text} {alert['link']}" if alert.get("link") else text


def _loss(alert: Mapping[str, Any], language: Language, *, long: bool = False) -> str:
    pct = alert.get("estimated_charge_loss_pct")
    if pct is None:
        return ""
    if language == "ja":
        return f"充塡量の約 {float(pct):.1f}%" if long else f"推定 {float(pct):.1f}% 損失"
    return f"about {float(pct):.1f}% of the charge" + ("" if long else " lost")


def _rate(alert: Mapping[str, Any], language: Language) -> str:
    kg, t_co2 = alert.get("kg_per_year"), alert.get("t_co2_per_year")
    year = "年" if language == "ja" else "yr"
    if kg is None or t_co2 is None:
        return f"{_number(kg)} kg/{year}" if kg is not None else ""
    open_, close = ("（", "）") if language == "ja" else (" (", ")")
    return f"{_number(kg)} kg/{year}{open_}{_number(t_co2)} t-CO2/{year}{close}"


def _number(value: Any) -> str:
    number = float(value)
    return f"{number:,.1f}" if abs(number) >= 10 else f"{number:.2f}"


def _when(value: Any) -> str | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M JST")


def _category(alert: Mapping[str, Any], language: Language) -> str:
    category = str(alert.get("category") or "other_fault")
    return _pick(CATEGORIES.get(category, (category, category)), language)


def _severity_rank(alert: Mapping[str, Any]) -> int:
    severity = alert.get("severity")
    return _SEVERITY_ORDER.index(severity) if severity in _SEVERITY_ORDER else len(_SEVERITY_ORDER)


def _label(key: str, language: Language) -> str:
    return _pick(_LABELS[key], language)


def _pick(texts: tuple[str, str], language: Language) -> str:
    return texts[0] if language == "ja" else texts[1]


def _localized(value: Any, language: Language) -> str:
    """A plain value, or the `language` entry of a `{"ja": ..., "en": ...}` mapping (else its other entry)."""
    if isinstance(value, Mapping):
        text = value.get(language) or value.get("ja") or value.get("en") or value.get("text") or ""
        return str(text)
    return "" if value is None else str(value)


def _jsonable(value: Any) -> Any:
    """JSON-ready copy: times as ISO 8601, decimals as numbers, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
