"""The delivery job's renderer: the outbox rows that one channel gets for one site become ONE notification.

A single alert event is rendered as that alert (`alerts.message.render_alert`); several events, or a daily
digest, as one site digest (`render_site_digest`): a site-wide event is one message, not forty. Several events
of the same alert in one message are shown once, with its newest state. Links point at the unit's page and the
site's page under `FLUOROWATCH_PUBLIC_URL`.

A row is an outbox payload (an alert as `alerts.service.payload` gives it, or a digest with its `alerts`) plus
`event`, the outbox kind, and `outbox_id` (see `alerts.delivery.Renderer`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alerts.channels.base import Language, Notification
from alerts.delivery import Renderer
from alerts.message import render_alert, render_site_digest

DIGEST = "digest"


def make_renderer(public_url: str) -> Renderer:
    """The renderer the delivery job uses, with links under ``public_url`` (e.g. https://fw.example.jp)."""
    base = public_url.rstrip("/")

    def render(rows: list[dict[str, Any]], language: str, idempotency_key: str) -> Notification:
        return render_rows(rows, language, idempotency_key, base)

    return render


def unit_link(base: str, equipment_id: object) -> str:
    return f"{base}/units/{equipment_id}"


def site_link(base: str, site_id: object) -> str:
    return f"{base}/sites/{site_id}"


def render_rows(rows: Sequence[Mapping[str, Any]], language: str, idempotency_key: str, base: str) -> Notification:
    if not rows:
        raise ValueError("nothing to render")
    lang: Language = "en" if language == "en" else "ja"
    alerts = _alerts(rows, base)
    if len(alerts) == 1 and all(row.get("event") != DIGEST for row in rows):
        return render_alert(alerts[0], lang, idempotency_key=idempotency_key)
    site = next((a["site"] for a in alerts if a.get("site")), "")
    site_id = next((a["site_id"] for a in alerts if a.get("site_id") is not None), None)
    link = site_link(base, site_id) if site_id is not None else ""
    return render_site_digest(site, alerts, lang, idempotency_key=idempotency_key, link=link)


def _alerts(rows: Sequence[Mapping[str, Any]], base: str) -> list[dict[str, Any]]:
    """The alerts of the rows in outbox order, one entry per alert id (its newest state)."""
    by_id: dict[object, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    for row in rows:
        if row.get("event") == DIGEST:
            entries = [_for_message(alert, None, base) for alert in row.get("alerts") or ()]
        else:
            entries = [_for_message(row, str(row.get("event") or row.get("status") or "raised"), base)]
        for entry in entries:
            if entry.get("id") is None:
                anonymous.append(entry)
                continue
            earlier = by_id.pop(entry["id"], None)
            if earlier is not None and entry.get("event") == "updated" and earlier.get("event"):
                entry["event"] = earlier["event"]  # new evidence on an alert just raised: it is still "raised"
            by_id[entry["id"]] = entry
    return [*by_id.values(), *anonymous]


def _for_message(alert: Mapping[str, Any], event: str | None, base: str) -> dict[str, Any]:
    """An alert payload with the keys `alerts.message` reads; the other keys stay for the structured payload."""
    evidence = [str(alert["message"])] if alert.get("message") else []
    evidence += [str(line) for line in alert.get("evidence") or () if str(line) not in evidence]
    entry = {
        **alert,
        "site": alert.get("site_name") or alert.get("site_code") or "",
        "equipment": alert.get("management_no"),
        "circuit": alert.get("circuit_no"),
        "evidence": evidence,
        "link": unit_link(base, alert["equipment_id"]) if alert.get("equipment_id") is not None else "",
    }
    entry.pop("event", None)
    if event is not None:
        entry["event"] = event
    return entry
