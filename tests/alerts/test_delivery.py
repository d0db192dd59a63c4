"""The delivery job against real receivers on loopback: an SMTP server (aiosmtpd) and a webhook server. Each
notification reaches every channel that hears its site once, carrying its idempotency key; a site's alerts of
one moment are one message; transient errors retry with back-off, a permanent one marks the channel broken and
nothing waiting for it is dropped; escalations also reach the organisation level above (REGULATION.md (p) ニ)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from alerts.channels import Channel
from alerts.channels.base import IDEMPOTENCY_HEADER
from alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from alerts.delivery import idempotency_key
from alerts.render import make_renderer
from alerts.service import acknowledge, escalate_due, queue_daily_digests, sync_detector_events

from .conftest import (
    PUBLIC_URL,
    T0,
    WEBHOOK_SECRET,
    Mailbox,
    WebhookReceiver,
    World,
    add_channel,
    add_route,
    deliver,
    detector_event,
    email_config,
    webhook_config,
)

SECOND, MINUTE, HOUR = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
def channels(conn: psycopg.Connection, world: World, webhook: WebhookReceiver, smtp: Mailbox) -> dict[str, int]:
    """Shinjuku's manager hears by e-mail (in English) and by webhook; the branch and the company by webhook
    once an alert escalates to them."""
    ids = {
        "email": add_channel(conn, "manager mail", "email", email_config(smtp.port), language="en"),
        "webhook": add_channel(conn, "store system", "webhook", webhook_config(webhook.url("/site"))),
        "branch": add_channel(conn, "Kanto branch", "webhook", webhook_config(webhook.url("/branch"))),
        "company": add_channel(conn, "head office", "webhook", webhook_config(webhook.url("/company"))),
    }
    add_route(conn, ids["email"], site_id=world.site_id, audience="manager")
    add_route(conn, ids["webhook"], site_id=world.site_id, audience="deputy")
    add_route(conn, ids["branch"], organisation_id=world.branch_id, audience="manager")
    add_route(conn, ids["company"], organisation_id=world.company_id, audience="head_office")
    return ids


def _deliveries(conn: psycopg.Connection, channel_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM delivery WHERE channel_id = %s ORDER BY id", (channel_id,)).fetchall()


def _attempts(conn: psycopg.Connection, channel_id: int) -> list[tuple[Any, ...]]:
    return conn.execute(
        """SELECT a.at, a.ok, a.permanent, a.error FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id
           WHERE d.channel_id = %s ORDER BY a.id""",
        (channel_id,),
    ).fetchall()


def _raise(conn: psycopg.Connection, *units: int, at: Any = T0) -> None:
    for unit in units:
        detector_event(conn, unit, at)
    assert sync_detector_events(conn) == len(units)


def test_a_raised_alert_is_delivered_once_per_channel_with_its_idempotency_key(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    _raise(conn, world.unit)

    deliver(conn, T0)

    [hook] = webhook.on("/site")
    [mail] = smtp.messages
    [to_hook] = _deliveries(conn, channels["webhook"])
    [to_mail] = _deliveries(conn, channels["email"])
    for row in (to_hook, to_mail):
        assert (row["status"], row["attempts"], row["sent_at"], row["last_error"]) == ("sent", 1, T0, None)
        assert row["idempotency_key"] == idempotency_key([row["id"]])
    assert hook.key == hook.document["idempotency_key"] == to_hook["idempotency_key"]
    assert verify_signature(WEBHOOK_SECRET, hook.headers[TIMESTAMP_HEADER.lower()], hook.body,
                            hook.headers[SIGNATURE_HEADER.lower()], now=time.time())  # fmt: skip
    assert mail[IDEMPOTENCY_HEADER] == to_mail["idempotency_key"] != to_hook["idempotency_key"]
    # Rendered for the recipient: Japanese for the webhook, English for this mailbox; the unit's page linked.
    assert hook.document["subject"].startswith("[fluorowatch] 冷媒漏えいの疑い: SC-01 (新宿店)")
    assert hook.document["link"] == f"{PUBLIC_URL}/units/{world.unit}"
    assert hook.document["alert"]["event"] == "raised"
    assert mail["Subject"].startswith("[fluorowatch] Refrigerant leak suspected: SC-01")
    assert f"{PUBLIC_URL}/units/{world.unit}" in mail.get_content()
    assert _attempts(conn, channels["webhook"]) == [(T0, True, False, "")]
    # Delivered once: later rounds send nothing again; the organisation levels above are not told yet.
    assert deliver(conn, T0 + HOUR) == 0
    assert (len(webhook.requests), len(smtp.envelopes)) == (1, 1)


def test_five_alerts_raised_at_one_site_at_the_same_moment_are_one_message_per_channel(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    add_route(conn, channels["webhook"], site_id=world.other_site_id, audience="manager")
    _raise(conn, *world.units, world.other_unit)

    deliver(conn, T0)

    assert len(smtp.envelopes) == 1
    shinjuku, shibuya = sorted(webhook.on("/site"), key=lambda r: len(r.alert_ids), reverse=True)
    assert len(webhook.requests) == 2  # one per site, not one per alert
    assert shinjuku.document["alert"]["count"] == 5
    assert len(shinjuku.alert_ids) == 5
    assert shinjuku.document["subject"].startswith("[fluorowatch] 新宿店: 5 件のアラート")
    assert shibuya.document["subject"].startswith("[fluorowatch] 冷媒漏えいの疑い: SC-01 (渋谷店)")
    to_hook = _deliveries(conn, channels["webhook"])
    assert len(to_hook) == 6
    assert all(d["status"] == "sent" for d in to_hook)
    shared = {d["idempotency_key"] for d in to_hook}
    assert shared == {shinjuku.key, shibuya.key}
    to_mail = _deliveries(conn, channels["email"])
    assert len(to_mail) == 5
    assert {d["idempotency_key"] for d in to_mail} == {smtp.messages[0][IDEMPOTENCY_HEADER]}
    assert "5 alerts" in smtp.messages[0]["Subject"]


def test_a_transient_error_is_stored_and_retried_with_back_off_under_the_same_key(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    webhook.statuses.extend([503, 503])
    _raise(conn, world.unit)

    deliver(conn, T0)

    [waiting] = _deliveries(conn, channels["webhook"])
    assert (waiting["status"], waiting["attempts"], waiting["next_attempt_at"]) == ("pending", 1, T0 + 30 * SECOND)
    assert "HTTP 503" in waiting["last_error"]
    [(at, ok, permanent, error)] = _attempts(conn, channels["webhook"])
    assert (at, ok, permanent) == (T0, False, False)
    assert "HTTP 503" in error
    assert _deliveries(conn, channels["email"])[0]["status"] == "sent"  # the other channel is not held up

    deliver(conn, T0 + 29 * SECOND)
    assert len(webhook.on("/site")) == 1  # not yet due
    deliver(conn, T0 + 30 * SECOND)  # fails again: the next wait is longer
    [waiting] = _deliveries(conn, channels["webhook"])
    assert (waiting["status"], waiting["attempts"]) == ("pending", 2)
    assert waiting["next_attempt_at"] == T0 + 30 * SECOND + 2 * MINUTE
    deliver(conn, T0 + 2 * MINUTE + 29 * SECOND)
    assert len(webhook.on("/site")) == 2

    deliver(conn, T0 + 2 * MINUTE + 30 * SECOND)

    [sent] = _deliveries(conn, channels["webhook"])
    assert (sent["status"], sent["attempts"], sent["sent_at"]) == ("sent", 3, T0 + 2 * MINUTE + 30 * SECOND)
    assert [ok for _, ok, _, _ in _attempts(conn, channels["webhook"])] == [False, False, True]
    assert {r.key for r in webhook.on("/site")} == {sent["idempotency_key"]}  # receivers drop the repeats
    assert conn.execute("SELECT broken_at FROM notification_channel WHERE id = %s", (channels["webhook"],)).fetchone() \
        == (None,)  # fmt: skip


def test_a_permanent_error_fails_the_delivery_marks_the_channel_broken_and_later_deliveries_wait(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    webhook.statuses.append(410)
    _raise(conn, world.unit)

    deliver(conn, T0)

    [failed] = _deliveries(conn, channels["webhook"])
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert "HTTP 410" in failed["last_error"]
    broken = conn.execute(
        "SELECT broken_at, broken_reason FROM notification_channel WHERE id = %s", (channels["webhook"],)
    ).fetchone()
    assert broken is not None
    assert broken[0] == T0
    assert "HTTP 410" in broken[1]
    assert [(ok, permanent) for _, ok, permanent, _ in _attempts(conn, channels["webhook"])] == [(False, True)]

    _raise(conn, world.units[1], at=T0 + HOUR)  # a later alert: the manager's mail still gets it
    deliver(conn, T0 + HOUR)
    deliver(conn, T0 + 48 * HOUR)

    assert len(webhook.requests) == 1  # nothing is sent to a broken channel ...
    [_, waiting] = _deliveries(conn, channels["webhook"])
    assert (waiting["status"], waiting["attempts"]) == ("pending", 0)  # ... and nothing is dropped: it waits
    assert [d["status"] for d in _deliveries(conn, channels["email"])] == ["sent", "sent"]

    conn.execute("UPDATE notification_channel SET broken_at = NULL, broken_reason = NULL WHERE id = %s",
                 (channels["webhook"],))  # fmt: skip  # someone fixed the endpoint
    deliver(conn, T0 + 49 * HOUR)

    assert [d["status"] for d in _deliveries(conn, channels["webhook"])] == ["failed", "sent"]
    assert webhook.requests[-1].alert_ids == {_alert_of(conn, world.units[1])}


def _alert_of(conn: psycopg.Connection, unit: int) -> int:
    row = conn.execute("SELECT id FROM alert WHERE equipment_id = %s", (unit,)).fetchone()
    assert row is not None
    return int(row[0])


def test_an_escalated_alert_reaches_the_organisation_level_route_as_well(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    """Unacknowledged for 4 h: the branch hears it too; for 8 h: the company (REGULATION.md (p) ニ)."""
    _raise(conn, world.unit)
    deliver(conn, T0)
    assert (len(webhook.on("/site")), len(webhook.on("/branch")), len(webhook.on("/company"))) == (1, 0, 0)

    escalate_due(conn, T0 + 4 * HOUR)
    deliver(conn, T0 + 4 * HOUR)

    assert (len(webhook.on("/site")), len(webhook.on("/branch")), len(webhook.on("/company"))) == (2, 1, 0)
    [to_branch] = webhook.on("/branch")
    assert to_branch.document["alert"]["event"] == "escalated"
    assert to_branch.document["alert"]["escalation_level"] == 1
    assert "エスカレーション" in to_branch.document["subject"]
    assert len(smtp.envelopes) == 2  # the manager is told it escalated

    escalate_due(conn, T0 + 8 * HOUR)
    deliver(conn, T0 + 8 * HOUR)

    assert (len(webhook.on("/site")), len(webhook.on("/branch")), len(webhook.on("/company"))) == (3, 2, 1)
    assert webhook.on("/company")[0].document["alert"]["escalation_level"] == 2

    alert_id = _alert_of(conn, world.unit)
    assert acknowledge(conn, alert_id, world.manager, from_address="", reason="", now=T0 + 9 * HOUR).allowed
    deliver(conn, T0 + 9 * HOUR)
    # Everyone who was told it escalated learns that the manager has taken it.
    assert [r.document["alert"]["event"] for r in webhook.on("/company")] == ["escalated", "acknowledged"]
    assert [r.document["alert"]["event"] for r in webhook.on("/branch")] == ["escalated", "escalated", "acknowledged"]


def test_the_daily_digest_goes_to_the_site_manager_and_head_office_routes_only(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    _raise(conn, *world.units[:2])
    deliver(conn, T0)
    mails, hooks = len(smtp.envelopes), len(webhook.requests)

    queue_daily_digests(conn, T0 + 23 * HOUR)
    deliver(conn, T0 + 23 * HOUR)

    assert len(smtp.envelopes) == mails + 1  # the manager's route
    # the company's head-office route gets it as its fleet summary; the deputy's and the branch's routes do not
    assert [r.path for r in webhook.requests[hooks:]] == ["/company"]
    digest = smtp.messages[-1]
    assert digest["Subject"].startswith("[fluorowatch] 新宿店: 2 alerts")
    assert f"{PUBLIC_URL}/sites/{world.site_id}" in digest.get_content()


def test_a_channel_whose_stored_config_is_no_longer_valid_is_marked_broken_and_the_others_go_on(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox
) -> None:
    conn.execute("UPDATE notification_channel SET config = config || '{\"url\": \"ftp://nowhere\"}' WHERE id = %s",
                 (channels["webhook"],))  # fmt: skip
    _raise(conn, world.unit)

    deliver(conn, T0)

    reason = conn.execute("SELECT broken_reason FROM notification_channel WHERE id = %s", (channels["webhook"],))
    assert reason.fetchone() == ("configuration: webhook.url: expected an http:// or https:// URL with a host",)
    assert [d["status"] for d in _deliveries(conn, channels["webhook"])] == ["failed"]
    assert [d["status"] for d in _deliveries(conn, channels["email"])] == ["sent"]


def test_an_unexpected_error_while_rendering_is_retried_later_and_does_not_stall_the_rest(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver, smtp: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    render = make_renderer(PUBLIC_URL)

    def english_is_broken(rows: list[dict[str, Any]], language: str, key: str) -> Any:
        if language == "en":
            raise KeyError("missing translation")
        return render(rows, language, key)

    _raise(conn, world.unit)

    deliver(conn, T0, english_is_broken)

    [waiting] = _deliveries(conn, channels["email"])
    assert (waiting["status"], waiting["attempts"], waiting["next_attempt_at"]) == ("pending", 1, T0 + 30 * SECOND)
    assert waiting["last_error"] == "internal error: KeyError: 'missing translation'"
    assert "unexpected error" in caplog.text
    assert len(webhook.on("/site")) == 1
    deliver(conn, T0 + 30 * SECOND)
    assert _deliveries(conn, channels["email"])[0]["status"] == "sent"


def test_a_site_no_channel_hears_gets_no_delivery(
    conn: psycopg.Connection, world: World, channels: dict[str, int], webhook: WebhookReceiver
) -> None:
    _raise(conn, world.other_unit)
    deliver(conn, T0)
    assert webhook.requests == []
    assert conn.execute("SELECT count(*) FROM alert_outbox WHERE routed_at = %s", (T0,)).fetchone() == (1,)


def test_routes_can_be_limited_to_categories(conn: psycopg.Connection, world: World, webhook: WebhookReceiver) -> None:
    leaks_only = add_channel(conn, "leaks", "webhook", webhook_config(webhook.url("/leaks")))
    add_route(conn, leaks_only, site_id=world.site_id, categories=["leak"])
    detector_event(conn, world.unit, T0, category="condenser_fouling", severity="medium")
    detector_event(conn, world.units[1], T0)
    sync_detector_events(conn)

    deliver(conn, T0)

    [received] = webhook.on("/leaks")
    assert received.document["alert"]["category"] == "leak"


class _Recorder:
    """A channel that only records (for checking what the job hands over, not how it travels)."""

    def __init__(self, sent: list[Any]) -> None:
        self.sent = sent

    def send(self, notification: Any) -> None:
        self.sent.append(notification)


def test_the_renderer_gets_the_outbox_kind_as_the_event(conn: psycopg.Connection, world: World) -> None:
    """The alert payload has a `kind` of its own (the unit's kind); the outbox kind must not be lost to it."""
    channel = add_channel(conn, "recorder", "webhook", webhook_config("http://127.0.0.1:9/unused"))
    add_route(conn, channel, site_id=world.site_id)
    seen: list[list[dict[str, Any]]] = []
    sent: list[Any] = []
    render = make_renderer(PUBLIC_URL)

    def recording(rows: list[dict[str, Any]], language: str, key: str) -> Any:
        seen.append(rows)
        return render(rows, language, key)

    def factory(kind: str, config: Mapping[str, Any]) -> Channel:
        return _Recorder(sent)

    _raise(conn, world.unit)
    deliver(conn, T0, recording, factory)

    [[row]] = seen
    assert (row["event"], row["kind"], row["status"]) == ("raised", "showcase_remote", "raised")
    assert isinstance(row["outbox_id"], int)
    assert sent[0].payload["event"] == "raised"


def test_events_of_one_alert_sent_together_are_shown_once_with_its_newest_state() -> None:
    render = make_renderer(PUBLIC_URL + "/")
    alert = {"id": 7, "equipment_id": 3, "site_id": 1, "site_name": "新宿店", "management_no": "SC-01",
             "circuit_no": 1, "category": "leak", "severity": "high", "status": "raised", "escalation_level": 0,
             "message": "4.2 % lost", "evidence": ["subcooling low"], "kind": "showcase_remote"}  # fmt: skip
    raised = {**alert, "event": "raised", "outbox_id": 1}

    updated = render([raised, {**alert, "severity": "critical", "event": "updated", "outbox_id": 2}], "en", "fw-1")
    escalated = render([raised, {**alert, "escalation_level": 1, "event": "escalated", "outbox_id": 3}], "ja", "fw-2")
    two = render([raised, {**alert, "id": 8, "equipment_id": 4, "event": "raised", "outbox_id": 4}], "en", "fw-3")

    assert (updated.payload["event"], updated.payload["severity"]) == ("raised", "critical")  # still news
    assert updated.link == f"{PUBLIC_URL}/units/3"
    assert "4.2 % lost" in updated.body
    assert "subcooling low" in updated.body
    assert (escalated.payload["event"], escalated.payload["escalation_level"]) == ("escalated", 1)
    assert escalated.idempotency_key == "fw-2"
    assert two.payload["count"] == 2
    assert two.link == f"{PUBLIC_URL}/sites/1"
    assert f"{PUBLIC_URL}/units/4" in two.body
