"""The alert jobs of `fluorowatch worker`: sync and escalation in one transaction, the delivery loop (woken at
once, stoppable, surviving a database outage), the daily digest, their schedule and settings, and the worker
itself as a real process delivering to a real webhook (REGULATION.md (p) ニ: the manager is notified at once)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from alerts.jobs import AlertJobs, DeliveryLoop, SyncResult, queue_digests, sync_and_escalate
from alerts.render import make_renderer
from alerts.service import acknowledge
from fluorowatch.settings import load_settings
from fluorowatch.worker import WorkerJobs

from .conftest import PUBLIC_URL, T0, WebhookReceiver, World, add_channel, add_route, detector_event, webhook_config

HOUR = timedelta(hours=1)
TOKYO = ZoneInfo("Asia/Tokyo")


def _one(url: str, query: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def _add_event(url: str, unit: int, ts: datetime) -> None:
    with psycopg.connect(url) as conn:
        detector_event(conn, unit, ts)


def test_sync_and_escalate_commits_the_alerts_the_watermark_and_the_escalations_together(
    committed_world: tuple[str, World],
) -> None:
    url, world = committed_world
    _add_event(url, world.unit, T0)

    assert sync_and_escalate(url, T0 + 5 * HOUR) == SyncResult(events=1, escalated=1)

    assert _one(url, "SELECT escalation_level FROM alert") == 1
    assert _one(url, "SELECT string_agg(kind, ',' ORDER BY id) FROM alert_outbox") == "raised,escalated"
    assert sync_and_escalate(url, T0 + 5 * HOUR) == SyncResult(events=0, escalated=0)
    assert sync_and_escalate(url, T0 + 8 * HOUR, timedelta(hours=4)).escalated == 1


def test_a_failing_sync_changes_nothing_and_the_next_run_takes_the_events(committed_world: tuple[str, World]) -> None:
    url, world = committed_world
    _add_event(url, world.unit, T0)
    with psycopg.connect(url) as conn:  # the outbox refuses escalations for a while (a stand-in for any failure)
        conn.execute("""CREATE FUNCTION no_escalation() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$""")
        conn.execute("""CREATE TRIGGER no_escalation BEFORE INSERT ON alert_outbox FOR EACH ROW
                        WHEN (NEW.kind = 'escalated') EXECUTE FUNCTION no_escalation()""")

    with pytest.raises(psycopg.errors.RaiseException, match="outbox unavailable"):
        sync_and_escalate(url, T0 + 5 * HOUR)

    assert _one(url, "SELECT count(*) FROM alert") == 0  # the alert went with the failed escalation ...
    assert _one(url, "SELECT count(*) FROM alert_watermark") == 0  # ... and the event is not marked as taken
    with psycopg.connect(url) as conn:
        conn.execute("DROP TRIGGER no_escalation ON alert_outbox")
    assert sync_and_escalate(url, T0 + 5 * HOUR) == SyncResult(events=1, escalated=1)


def test_an_acknowledgement_committed_while_escalation_runs_stops_the_escalation(
    committed_world: tuple[str, World],
) -> None:
    """The escalation re-reads each alert under a lock: it waits for the manager's acknowledgement in flight
    and then leaves the alert alone, instead of escalating an acknowledged alert."""
    url, world = committed_world
    _add_event(url, world.unit, T0)
    sync_and_escalate(url, T0)
    alert_id = int(str(_one(url, "SELECT id FROM alert")))
    results: list[SyncResult] = []
    with psycopg.connect(url) as manager:
        assert acknowledge(manager, alert_id, world.manager, from_address="", reason="", now=T0 + 5 * HOUR).allowed
        worker = threading.Thread(target=lambda: results.append(sync_and_escalate(url, T0 + 5 * HOUR)))
        worker.start()
        deadline = time.monotonic() + 10
        while _one(url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == 0:
            assert time.monotonic() < deadline, "the escalation never waited for the acknowledgement"
            time.sleep(0.02)
        manager.commit()
    worker.join(10)

    assert results == [SyncResult(events=0, escalated=0)]
    assert _one(url, "SELECT status || ' ' || escalation_level FROM alert") == "acknowledged 0"


def test_queue_digests_commits_one_digest_per_site_with_open_alerts(committed_world: tuple[str, World]) -> None:
    url, world = committed_world
    _add_event(url, world.unit, T0)
    _add_event(url, world.other_unit, T0)
    sync_and_escalate(url, T0)

    assert queue_digests(url, T0 + 23 * HOUR) == 2
    assert _one(url, "SELECT count(*) FROM alert_outbox WHERE kind = 'digest'") == 2


def test_the_delivery_loop_is_woken_by_a_sync_that_queued_notifications_and_stops_promptly(
    committed_world: tuple[str, World], webhook: WebhookReceiver
) -> None:
    url, world = committed_world
    with psycopg.connect(url) as conn:
        add_route(conn, add_channel(conn, "store", "webhook", webhook_config(webhook.url())), site_id=world.site_id)
    loop = DeliveryLoop(url, make_renderer(PUBLIC_URL), idle_s=60)  # it would sleep a minute unless woken
    jobs = AlertJobs(url, delivery=loop, clock=lambda: datetime.now(UTC))
    thread = loop.start()
    try:
        time.sleep(0.2)  # the first round found nothing; the loop now waits
        _add_event(url, world.unit, datetime.now(UTC))
        assert jobs.sync_and_escalate().events == 1
        deadline = time.monotonic() + 10
        while not webhook.requests:
            assert time.monotonic() < deadline, "the woken loop delivered nothing"
            time.sleep(0.02)
    finally:
        loop.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert _one(url, "SELECT string_agg(status, ',') FROM delivery") == "sent"


def test_the_delivery_loop_survives_a_database_outage(caplog: pytest.LogCaptureFixture) -> None:
    loop = DeliveryLoop("postgresql://postgres@127.0.0.1:1/nowhere", make_renderer(PUBLIC_URL), idle_s=0.05)
    thread = loop.start()
    time.sleep(0.3)
    assert thread.is_alive()
    loop.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert "alert delivery: round failed" in caplog.text


def test_the_alert_jobs_are_scheduled_every_minute_and_the_digest_at_eight_tokyo_time() -> None:
    specs = WorkerJobs("postgresql://unused@127.0.0.1/none", TOKYO).specs
    assert specs["alerts-sync-escalate"].trigger.interval == timedelta(minutes=1)
    after = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo: today's digest has gone
    assert specs["alerts-daily-digest"].trigger.get_next_fire_time(None, after) == datetime(2026, 3, 11, 8, 0,
                                                                                             tzinfo=TOKYO)  # fmt: skip


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("FLUOROWATCH_") or key in {"DATABASE_URL", "MQTT_URL"}:
            monkeypatch.delenv(key)


@pytest.mark.usefixtures("clean_environment")
def test_the_escalation_delay_and_the_public_url_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.escalation_delay == timedelta(hours=4)
    assert settings.public_url == "http://127.0.0.1:8000"
    monkeypatch.setenv("FLUOROWATCH_ESCALATION_HOURS", "0.5")
    monkeypatch.setenv("FLUOROWATCH_PUBLIC_URL", "https://fw.example.jp/")
    settings = load_settings()
    assert settings.escalation_delay == timedelta(minutes=30)
    assert settings.public_url == "https://fw.example.jp"


def test_the_worker_runs_the_alert_jobs_delivers_and_escalates_and_stops_cleanly(
    committed_world: tuple[str, World], webhook: WebhookReceiver
) -> None:
    """A leak seen 90 minutes ago, escalation after 1 h: at start-up the worker raises the alert, escalates it to
    the branch and delivers both, with links under the configured public URL."""
    url, world = committed_world
    with psycopg.connect(url) as conn:
        add_route(conn, add_channel(conn, "store", "webhook", webhook_config(webhook.url("/site"))),
                  site_id=world.site_id)  # fmt: skip
        add_route(conn, add_channel(conn, "branch", "webhook", webhook_config(webhook.url("/branch"))),
                  organisation_id=world.branch_id)  # fmt: skip
        detector_event(conn, world.unit, datetime.now(UTC) - timedelta(minutes=90))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_") and k != "DATABASE_URL"}
    env |= {"DATABASE_URL": url, "FLUOROWATCH_LOG_LEVEL": "INFO", "FLUOROWATCH_ESCALATION_HOURS": "1",
            "FLUOROWATCH_PUBLIC_URL": "https://alerts.example.jp"}  # fmt: skip

    result = subprocess.run([sys.executable, "-m", "fluorowatch", "worker", "--exit-after", "2"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "leak alerts escalate after 1:00:00 unacknowledged" in result.stderr
    assert "daily digest at 08:00:00 Asia/Tokyo" in result.stderr
    assert 'Running job "alert sync and escalation' in result.stderr
    assert result.stderr.rstrip().endswith("worker stopped")
    assert _one(url, "SELECT status || ' ' || escalation_level FROM alert") == "raised 1"
    assert _one(url, "SELECT string_agg(DISTINCT status, ',') FROM delivery") == "sent"
    [to_branch] = webhook.on("/branch")
    assert to_branch.document["alert"]["event"] == "escalated"
    assert to_branch.document["link"] == f"https://alerts.example.jp/units/{world.unit}"
    assert len(webhook.on("/site")) == 1  # raised and escalated at once: one message
