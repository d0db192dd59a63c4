"""Alert metrics against the real database and a real webhook receiver: open alerts counted by severity,
category and status at scrape time; failed and sent notification attempts counted by channel kind."""

from __future__ import annotations

from datetime import timedelta

import psycopg
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from alerts.metrics import OpenAlertsCollector
from alerts.service import acknowledge, sync_detector_events
from api.app import create_app
from storage.db import open_pool

from .conftest import T0, WebhookReceiver, World, add_channel, add_route, deliver, detector_event, webhook_config


def _open_alerts(registry: CollectorRegistry) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["severity"], s.labels["category"], s.labels["status"]): s.value
        for metric in registry.collect()
        for s in metric.samples
        if s.name == "fw_alerts_open"
    }


def test_open_alerts_are_counted_by_severity_category_and_status_at_scrape_time(
    committed_world: tuple[str, World],
) -> None:
    url, world = committed_world
    registry = CollectorRegistry()
    registry.register(OpenAlertsCollector.from_url(url))
    assert _open_alerts(registry) == {}

    with psycopg.connect(url) as conn:
        detector_event(conn, world.units[0], T0, severity="high")
        detector_event(conn, world.units[1], T0, severity="high")
        detector_event(conn, world.units[2], T0, severity="critical")
        detector_event(conn, world.units[3], T0, severity="medium", category="condenser_fouling")
        assert sync_detector_events(conn) == 4
    assert _open_alerts(registry) == {
        ("high", "leak", "raised"): 2,
        ("critical", "leak", "raised"): 1,
        ("medium", "condenser_fouling", "raised"): 1,
    }

    with psycopg.connect(url) as conn:
        [alert_id] = conn.execute("SELECT id FROM alert WHERE severity = 'critical'").fetchone() or [0]
        assert acknowledge(conn, alert_id, world.manager, from_address="", reason="", now=T0).allowed
        conn.execute("UPDATE alert SET status = 'resolved', resolved_at = %s WHERE severity = 'medium'", (T0,))
    assert _open_alerts(registry) == {("high", "leak", "raised"): 2, ("critical", "leak", "acknowledged"): 1}

    # The API serves it (and its pool's gauges) on /metrics.
    with open_pool(url, max_size=2) as pool:
        text = TestClient(create_app(pool)).get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    key = (("category", "leak"), ("severity", "high"), ("status", "raised"))
    assert samples[("fw_alerts_open", key)] == 2
    assert samples[("fw_db_pool_size", ())] >= 1
    assert ("fw_db_pool_available", ()) in samples and samples[("fw_db_pool_waiting", ())] == 0


def test_a_database_that_does_not_answer_leaves_the_gauge_out_quickly() -> None:
    registry = CollectorRegistry()
    registry.register(OpenAlertsCollector.from_url("postgresql://fw@127.0.0.1:9/none", timeout_s=1))
    assert _open_alerts(registry) == {}


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_failed_deliveries_to_a_failing_webhook_are_counted(
    conn: psycopg.Connection, world: World, webhook: WebhookReceiver
) -> None:
    channel = add_channel(conn, "store system", "webhook", webhook_config(webhook.url("/site")))
    add_route(conn, channel, site_id=world.site_id, audience="manager")
    failures = _value("fw_alert_delivery_failures_total", channel_kind="webhook")
    retries = _value("fw_alert_deliveries_total", channel_kind="webhook", outcome="retry")
    failed = _value("fw_alert_deliveries_total", channel_kind="webhook", outcome="failed")
    sent = _value("fw_alert_deliveries_total", channel_kind="webhook", outcome="sent")

    webhook.statuses.append(503)  # transient: tried again later
    detector_event(conn, world.unit, T0)
    assert sync_detector_events(conn) == 1
    deliver(conn, T0)
    assert _value("fw_alert_delivery_failures_total", channel_kind="webhook") == failures + 1
    assert _value("fw_alert_deliveries_total", channel_kind="webhook", outcome="retry") == retries + 1

    deliver(conn, T0 + timedelta(minutes=1))  # due again after its 30 s back-off; the receiver says 200
    assert _value("fw_alert_deliveries_total", channel_kind="webhook", outcome="sent") == sent + 1
    assert _value("fw_alert_delivery_failures_total", channel_kind="webhook") == failures + 1

    webhook.statuses.append(410)  # permanent: the channel is marked broken
    detector_event(conn, world.units[1], T0)
    assert sync_detector_events(conn) == 1
    deliver(conn, T0 + timedelta(minutes=2))
    assert _value("fw_alert_delivery_failures_total", channel_kind="webhook") == failures + 2
    assert _value("fw_alert_deliveries_total", channel_kind="webhook", outcome="failed") == failed + 1
