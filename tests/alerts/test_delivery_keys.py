"""A retried message is the same message: same deliveries, same idempotency key, even when more alerts for the
site have arrived in between (those go in a message of their own)."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from alerts.service import sync_detector_events
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


def test_a_retry_keeps_its_key_and_its_alerts_and_a_newcomer_goes_separately(
    conn: psycopg.Connection, world: World, webhook: WebhookReceiver
) -> None:
    channel = add_channel(conn, "site hook", "webhook", webhook_config(webhook.url()))
    add_route(conn, channel, site_id=world.site_id)
    detector_event(conn, world.units[0], T0)
    sync_detector_events(conn)
    webhook.statuses.append(503)  # the first attempt fails, transiently
    deliver(conn, T0)
    [failed] = webhook.requests
    detector_event(conn, world.units[1], T0 + timedelta(minutes=1))  # another unit of the same site meanwhile
    sync_detector_events(conn)
    deliver(conn, T0 + timedelta(hours=1))
    retried, newcomer = webhook.requests[1:]
    assert retried.key == failed.key and retried.alert_ids == failed.alert_ids
    assert newcomer.key != failed.key and newcomer.alert_ids.isdisjoint(failed.alert_ids)
    states = conn.execute("SELECT status, count(*) FROM delivery GROUP BY 1").fetchall()
    assert states == [("sent", 2)]
