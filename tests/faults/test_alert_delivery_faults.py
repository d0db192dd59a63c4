"""Alerts raised vs delivered (issue 11): alerts are raised through the real path (detector events, then the
worker's `sync_and_escalate`) while the webhook target is down (connection refused, then HTTP 503); the real
delivery loop runs as its own process throughout. When the target is back, every alert has reached it exactly
once: one accepted request per idempotency key, one key per alert, and the delivery process never crashed.

The delivery loop's clock runs 300 times faster than the wall clock (its own `clock` parameter), so that the
back-off of the retries (30 s, 2 min, 10 min, …) passes in seconds; everything else is real.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter, defaultdict, deque
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

from alerts.jobs import sync_and_escalate
from fluorowatch.runtime import free_port
from tests.alerts.conftest import (
    T0,
    WebhookReceiver,
    _handler,
    add_channel,
    add_route,
    build_world,
    detector_event,
    webhook_config,
)

from .conftest import REPO, PrivatePostgres, Report, count, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

SPEED = 300.0
LOOP = """
import logging, sys, time
from datetime import UTC, datetime, timedelta
from alerts.jobs import DeliveryLoop
from alerts.render import make_renderer
logging.basicConfig(level=logging.INFO)
began, origin, speed = time.monotonic(), datetime.now(UTC), float(sys.argv[2])
clock = lambda: origin + timedelta(seconds=(time.monotonic() - began) * speed)
DeliveryLoop(sys.argv[1], make_renderer("https://fw.example.jp"), idle_s=0.1, clock=clock).run()
"""


def test_alerts_raised_while_the_webhook_is_down_are_each_delivered_exactly_once_when_it_is_back(
    tmp_path: Path, private_pg: PrivatePostgres, figures: Report
) -> None:
    url = private_pg.url
    port = free_port()  # nothing listens here yet: the target is down
    with psycopg.connect(url) as conn:
        world = build_world(conn)
        channel = add_channel(conn, "store system", "webhook", webhook_config(f"http://127.0.0.1:{port}/site", 2.0))
        add_route(conn, channel, site_id=world.site_id)
        add_route(conn, channel, site_id=world.other_site_id)
    log = tmp_path / "delivery.log"
    with log.open("wb") as out:
        loop = subprocess.Popen([sys.executable, "-c", LOOP, url, str(SPEED)], cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    receiver = WebhookReceiver(port=port, statuses=deque([503, 503, 503]))
    server: ThreadingHTTPServer | None = None
    try:
        raised = 0
        with psycopg.connect(url) as conn:  # wave 1, target down
            for unit in world.units[:3]:
                detector_event(conn, unit, T0)
        raised += sync_and_escalate(url, datetime.now(UTC)).events
        wait_for(lambda: count(url, "SELECT count(*) FROM delivery_attempt WHERE NOT ok") >= 3,
                 "failed attempts while the target is down")  # fmt: skip
        with psycopg.connect(url) as conn:  # wave 2, target still down
            for unit in (*world.units[3:], world.other_unit):
                detector_event(conn, unit, T0)
        raised += sync_and_escalate(url, datetime.now(UTC)).events
        failed_while_down = count(url, "SELECT count(*) FROM delivery_attempt WHERE NOT ok")

        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))  # back up: three 503s, then 200
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        wait_for(lambda: count(url, "SELECT count(*) FROM delivery WHERE status <> 'sent'") == 0,
                 "every delivery sent", timeout_s=90)  # fmt: skip
        assert loop.poll() is None, log.read_text()
    finally:
        loop.send_signal(signal.SIGTERM)
        loop.wait(20)
        if server is not None:
            server.shutdown()
            server.server_close()

    with psycopg.connect(url) as conn:
        alerts = {int(r[0]) for r in conn.execute("SELECT id FROM alert").fetchall()}
        keyed = conn.execute(
            "SELECT o.alert_id, d.idempotency_key FROM delivery d JOIN alert_outbox o ON o.id = d.outbox_id"
        ).fetchall()
    keys_of_alert: dict[int, list[str]] = defaultdict(list)
    for alert_id, key in keyed:
        keys_of_alert[int(alert_id)].append(str(key))
    accepted = receiver.requests[3:]  # the first three were answered 503
    per_key = Counter(r.key for r in accepted)  # requests the receiver accepted, per idempotency key
    delivered = {alert for alert, keys in keys_of_alert.items() if all(per_key[key] == 1 for key in keys)}
    figures(alerts_raised=raised, alerts_stored=len(alerts), delivered_once=len(delivered),
            lost=len(alerts - set(keys_of_alert)), duplicated=sum(n - 1 for n in per_key.values()),
            messages=len(per_key), failed_attempts_while_down=failed_while_down, answered_503=3,
            webhook_requests=len(receiver.requests), delivery_exits=0)  # fmt: skip
    assert raised == len(alerts) == 6
    assert delivered == alerts
    assert all(n == 1 for n in per_key.values()), per_key
    assert set(per_key) == {key for keys in keys_of_alert.values() for key in keys}
    assert "Traceback" not in log.read_text()
