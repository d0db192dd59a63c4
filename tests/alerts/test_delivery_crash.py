"""A delivery worker killed (SIGKILL) in the middle of a send: the claim, the send and the record share one
transaction, so nothing of the killed attempt is recorded, the deliveries stay pending, and the next worker
sends them again with the SAME idempotency key: at least once, and a receiver that drops repeated keys sees
each notification once (REGULATION.md (p) ニ: the manager is notified; nothing is lost to a crash)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from alerts.jobs import sync_and_escalate

from .conftest import T0, WebhookReceiver, World, add_channel, add_route, detector_event, webhook_config

REPO = Path(__file__).resolve().parents[2]
LOOP = """
import logging, sys
from alerts.jobs import DeliveryLoop
from alerts.render import make_renderer
logging.basicConfig(level=logging.INFO)
DeliveryLoop(sys.argv[1], make_renderer("https://fw.example.jp"), idle_s=0.1).run()
"""
TIMEOUT_S = 30.0


def _start(url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", LOOP, url], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _deliveries(url: str) -> list[tuple[Any, ...]]:
    """(id, status, attempts, idempotency key, alert id) of every delivery."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            """SELECT d.id, d.status, d.attempts, d.idempotency_key, o.alert_id FROM delivery d
               JOIN alert_outbox o ON o.id = d.outbox_id ORDER BY d.id"""
        ).fetchall()


def _attempts(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT delivery_id, ok FROM delivery_attempt ORDER BY id").fetchall()


def test_a_worker_killed_mid_delivery_leaves_it_pending_and_the_next_sends_it_again_with_the_same_key(
    committed_world: tuple[str, World], webhook: WebhookReceiver, tmp_path: Path
) -> None:
    url, world = committed_world
    webhook.hold_first = True
    with psycopg.connect(url) as conn:
        channel = add_channel(conn, "store system", "webhook", webhook_config(webhook.url("/site"), timeout_s=60))
        add_route(conn, channel, site_id=world.site_id)
        add_route(conn, channel, site_id=world.other_site_id)
        for unit in (*world.units[:3], world.other_unit):
            detector_event(conn, unit, T0)
    assert sync_and_escalate(url, T0).events == 4  # two messages: three alerts at Shinjuku, one at Shibuya

    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(_start(url, tmp_path / "first.log"))
        assert webhook.holding.wait(TIMEOUT_S), (tmp_path / "first.log").read_text()
        # Mid-send: the receiver has the message, the worker has not heard back; nothing is recorded yet.
        assert {status for _, status, *_ in _deliveries(url)} == {"pending"}
        processes[0].send_signal(signal.SIGKILL)
        assert processes[0].wait(TIMEOUT_S) == -signal.SIGKILL

        after_kill = _deliveries(url)
        assert len(after_kill) == 4
        assert all((status, attempts) == ("pending", 0) for _, status, attempts, _, _ in after_kill)
        # The message being sent had its key committed before the send: the retry must use it.
        assert webhook.requests[0].key in {key for *_, key, _ in after_kill}
        assert _attempts(url) == []  # the killed attempt was never committed, so it left no row

        processes.append(_start(url, tmp_path / "second.log"))
        _wait_for(lambda: all(status == "sent" for _, status, *_ in _deliveries(url)), "every delivery sent")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT_S)

    deliveries = _deliveries(url)
    assert all((status, attempts) == ("sent", 1) for _, status, attempts, _, _ in deliveries)
    assert sorted(_attempts(url)) == [(d[0], True) for d in deliveries]  # one committed attempt each
    keys_stored = {key for *_, key, _ in deliveries}
    assert len(keys_stored) == 2
    held, *after = webhook.requests
    assert len(after) == 2  # the second worker sent each message once
    # The message that was cut off went again under its own key: a duplicate the receiver can drop.
    assert held.key in {r.key for r in after}
    assert {r.key for r in webhook.requests} == keys_stored
    keys_per_alert: dict[int, set[str]] = defaultdict(set)
    for received in webhook.requests:
        for alert_id in received.alert_ids:
            keys_per_alert[alert_id].add(received.key)
    assert {alert_id for *_, alert_id in deliveries} == set(keys_per_alert)
    assert all(len(keys) == 1 for keys in keys_per_alert.values()), keys_per_alert
    assert "Traceback" not in (tmp_path / "second.log").read_text()
