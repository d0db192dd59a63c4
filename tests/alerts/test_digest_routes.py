"""Head office gets the fleet summary: the daily digest of every site below it, not each alert."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from alerts.service import queue_daily_digests, sync_detector_events
from tests.alerts.conftest import (
    T0,
    WebhookReceiver,
    World,
    add_channel,
    add_route,
    deliver,
    detector_event,
    webhook_config,
)


def test_a_head_office_route_gets_the_digest_of_its_sites_but_not_their_alerts(
    conn: psycopg.Connection, world: World, webhook: WebhookReceiver
) -> None:
    head_office = add_channel(conn, "head office", "webhook", webhook_config(webhook.url("/head-office")))
    add_route(conn, head_office, organisation_id=world.company_id, audience="head_office")
    detector_event(conn, world.unit, T0)
    sync_detector_events(conn)
    deliver(conn, T0)
    assert webhook.on("/head-office") == []  # an alert at level 0 stays with the site
    queue_daily_digests(conn, T0 + timedelta(hours=23))
    deliver(conn, T0 + timedelta(hours=23))
    [digest] = webhook.on("/head-office")
    assert digest.alert_ids == {int(a[0]) for a in conn.execute("SELECT id FROM alert").fetchall()}
