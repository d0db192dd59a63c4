"""Notification text: one alert or a site digest, in Japanese and in English."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from alerts.message import ACTIONS, CATEGORIES, EVENTS, render_alert, render_site_digest

SITE = {"ja": "渋谷店", "en": "Shibuya"}
LEAK: dict[str, Any] = {
    "id": 17,
    "event": "raised",
    "site": SITE,
    "equipment": "SM-TKY-001-SC03",
    "equipment_name": {"ja": "冷蔵ショーケース3", "en": "Refrigerated case 3"},
    "circuit": 1,
    "category": "leak",
    "severity": "high",
    "status": "raised",
    "estimated_charge_loss_pct": 4.21,
    "kg_per_year": Decimal("21.900"),
    "t_co2_per_year": Decimal("85.848"),
    "evidence": [
        "過冷却度 (SC) low: observed 1.2, expected 4.5 (-3.1 σ)",
        {"ja": "液管温度が高い", "en": "liquid line hot"},
    ],
    "first_seen": datetime(2025, 7, 1, 0, 30, tzinfo=UTC),
    "link": "https://fw.example.jp/units/SM-TKY-001-SC03",
}
GAP: dict[str, Any] = {
    "id": 18,
    "site": SITE,
    "equipment": "SM-TKY-001-SC04",
    "circuit": 2,
    "category": "data_gap",
    "severity": "medium",
    "status": "raised",
    "first_seen": "2025-07-02T03:00:00",
}


def test_a_leak_subject_in_japanese() -> None:
    note = render_alert(LEAK, "ja", idempotency_key="outbox-17:channel-1")
    assert note.subject == "[fluorowatch] 冷媒漏えいの疑い: SM-TKY-001-SC03 (渋谷店) 推定 4.2% 損失"
    assert (note.language, note.idempotency_key, note.link) == ("ja", "outbox-17:channel-1", LEAK["link"])


def test_a_leak_subject_in_english() -> None:
    note = render_alert(LEAK, "en", idempotency_key="k")
    assert note.subject == (
        "[fluorowatch] Refrigerant leak suspected: SM-TKY-001-SC03 (Shibuya) about 4.2% of the charge lost"
    )


def test_the_japanese_body_has_the_facts_the_evidence_the_duty_and_the_link() -> None:
    body = render_alert(LEAK, "ja", idempotency_key="k").body
    for line in (
        "事業所: 渋谷店",
        "機器（管理番号）: SM-TKY-001-SC03 冷蔵ショーケース3",
        "冷媒系統: 1",
        "区分: 冷媒漏えいの疑い",
        "重要度: 高",
        "状態: 発生",
        "推定漏えい量: 充塡量の約 4.2%",
        "漏えい速度: 21.9 kg/年（85.8 t-CO2/年）",
        "初検知: 2025-07-01 09:30 JST",
        "- 過冷却度 (SC) low: observed 1.2, expected 4.5 (-3.1 σ)",
        "- 液管温度が高い",
        "詳細: https://fw.example.jp/units/SM-TKY-001-SC03",
    ):
        assert line in body.splitlines()
    assert "漏えい箇所の特定と修理" in body
    assert "修理せずに冷媒を充塡することは禁止" in body
    assert "60日以内" in body and "1回限り" in body


def test_the_english_body_has_the_facts_the_evidence_the_duty_and_the_link() -> None:
    body = render_alert(LEAK, "en", idempotency_key="k").body
    for line in (
        "Site: Shibuya",
        "Unit (management no.): SM-TKY-001-SC03 Refrigerated case 3",
        "Circuit: 1",
        "Category: Refrigerant leak suspected",
        "Severity: high",
        "Status: Raised",
        "Estimated loss: about 4.2% of the charge",
        "Leak rate: 21.9 kg/yr (85.8 t-CO2/yr)",
        "First seen: 2025-07-01 09:30 JST",
        "- liquid line hot",
        "Details: https://fw.example.jp/units/SM-TKY-001-SC03",
    ):
        assert line in body.splitlines()
    assert "locate and repair the leak" in body
    assert "Recharging without repair is prohibited" in body
    assert "single emergency charge" in body and "60 days" in body


def test_the_payload_is_the_structured_alert_ready_for_json() -> None:
    note = render_alert(LEAK, "en", idempotency_key="k")
    document = json.loads(json.dumps(note.payload))
    assert document["kg_per_year"] == 21.9
    assert document["t_co2_per_year"] == 85.848
    assert document["first_seen"] == "2025-07-01T00:30:00+00:00"
    assert document["evidence"][1] == {"ja": "液管温度が高い", "en": "liquid line hot"}
    assert (document["id"], document["equipment"], document["event"]) == (17, "SM-TKY-001-SC03", "raised")


def test_an_alert_without_an_estimate_leaves_the_loss_out_and_reads_a_naive_time_as_utc() -> None:
    note = render_alert(GAP, "ja", idempotency_key="k", link="https://fw.example.jp/units/SM-TKY-001-SC04")
    assert note.subject == "[fluorowatch] 計測データの途絶: SM-TKY-001-SC04 (渋谷店)"
    assert "初検知: 2025-07-02 12:00 JST" in note.body.splitlines()
    assert "推定漏えい量" not in note.body and "漏えい速度" not in note.body and "根拠" not in note.body
    assert "簡易点検" in note.body  # a gap ends the substitution of the simple inspection
    assert note.payload["event"] == "raised"  # from the status


@pytest.mark.parametrize(
    ("event", "ja", "en"),
    [
        ("updated", "[更新] ", "[Updated] "),
        ("escalated", "[エスカレーション] ", "[Escalated] "),
        ("acknowledged", "[確認済み] ", "[Acknowledged] "),
        ("resolved", "[解決] ", "[Resolved] "),
    ],
)
def test_a_later_event_is_tagged_in_the_subject(event: str, ja: str, en: str) -> None:
    alert = LEAK | {"event": event}
    assert render_alert(alert, "ja", idempotency_key="k").subject.startswith(f"[fluorowatch] {ja}冷媒漏えいの疑い: ")
    assert render_alert(alert, "en", idempotency_key="k").subject.startswith(f"[fluorowatch] {en}Refrigerant leak")


def test_an_escalation_names_its_level() -> None:
    alert = LEAK | {"event": "escalated", "escalation_level": 2}
    assert render_alert(alert, "ja", idempotency_key="k").body.startswith(
        "冷媒漏えいの疑い（エスカレーション（レベル 2））"
    )
    assert render_alert(alert, "en", idempotency_key="k").body.startswith(
        "Refrigerant leak suspected (Escalated (level 2))"
    )


def test_a_resolved_alert_asks_for_nothing() -> None:
    alert = LEAK | {"event": "resolved", "status": "resolved"}
    assert "No action needed" in render_alert(alert, "en", idempotency_key="k").body
    assert "対応は不要です" in render_alert(alert, "ja", idempotency_key="k").body
    assert "Recharging" not in render_alert(alert, "en", idempotency_key="k").body


def test_every_category_and_event_has_words_in_both_languages_and_an_action() -> None:
    categories = {"leak", "condenser_fouling", "evaporator_icing", "overcharge", "sensor_drift", "other_fault",
                  "data_gap", "inspection_due", "inspection_overdue"}  # fmt: skip
    assert set(CATEGORIES) == categories == set(ACTIONS)
    assert set(EVENTS) == {"raised", "updated", "escalated", "acknowledged", "resolved"}
    for category in categories:
        for language in ("ja", "en"):
            note = render_alert({"category": category, "equipment": "X-1", "site": "S"}, language, idempotency_key="k")
            name = CATEGORIES[category][0 if language == "ja" else 1]
            assert note.subject.startswith(f"[fluorowatch] {name}: X-1 (S)")
            assert ACTIONS[category][0 if language == "ja" else 1] in note.body


def test_a_site_digest_is_one_message_for_many_alerts_most_severe_first() -> None:
    gaps = [GAP | {"id": 100 + n, "equipment": f"SM-TKY-001-SC{n:02d}"} for n in range(4, 43)]
    alerts = [*gaps, LEAK]

    ja = render_site_digest(SITE, alerts, "ja", idempotency_key="digest-5:channel-1", link="https://fw/sites/3")
    en = render_site_digest(SITE, alerts, "en", idempotency_key="digest-5:channel-1", link="https://fw/sites/3")

    assert ja.subject == "[fluorowatch] 渋谷店: 40 件のアラート（冷媒漏えいの疑い 1、計測データの途絶 39）"
    assert en.subject == "[fluorowatch] Shibuya: 40 alerts (Refrigerant leak suspected 1, Measurements missing 39)"
    lines = en.body.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("- "))
    assert lines[first] == (
        "- SM-TKY-001-SC03 circuit 1: Refrigerant leak suspected (high) about 4.2% of the charge lost "
        "https://fw.example.jp/units/SM-TKY-001-SC03"
    )
    assert "- SM-TKY-001-SC04 系統2: 計測データの途絶（中）" in ja.body.splitlines()
    assert ja.body.count("エッジ機器、通信と電源を確認") == 1  # each category's duty once
    assert "Details: https://fw/sites/3" in lines
    assert (en.payload["count"], en.payload["severity"], len(en.payload["alerts"])) == (40, "high", 40)
    assert en.payload["alerts"][0]["id"] == 17
    json.dumps(en.payload)


def test_a_digest_of_one_alert_says_alert() -> None:
    note = render_site_digest("Osaka", [GAP], "en", idempotency_key="k")
    assert note.subject == "[fluorowatch] Osaka: 1 alert (Measurements missing 1)"
    assert note.link == ""
