"""FLUOROWATCH_AUTO_TICKET_LOSS_PCT: a leak alert whose estimated loss reaches the policy's threshold opens its
repair ticket without waiting for the manager (REGULATION.md (d1): locate and repair once a leak is confirmed)."""

from __future__ import annotations

import psycopg
import pytest

from alerts.jobs import AlertJobs
from fluorowatch.domain.organisation import Contractor
from storage.registry import assign_contractor, save_contractor
from tests.alerts.conftest import T0, World, detector_event


def _tickets(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM ticket").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize(("threshold", "tickets"), [(None, 0), (10.0, 0), (5.0, 1)])
def test_the_policy_opens_a_ticket_only_at_or_above_its_threshold(
    committed_world: tuple[str, World], threshold: float | None, tickets: int
) -> None:
    url, world = committed_world
    with psycopg.connect(url) as conn:
        assign_contractor(conn, world.site_id, save_contractor(conn, Contractor("冷熱サービス", "東京都第1号", "13")))
        detector_event(conn, world.unit, T0, loss_pct=6.0)
    AlertJobs(url, clock=lambda: T0, auto_ticket_loss_pct=threshold).sync_and_escalate()
    assert _tickets(url) == tickets


def test_a_site_without_a_contractor_does_not_stop_the_policy_for_the_others(
    committed_world: tuple[str, World], caplog: pytest.LogCaptureFixture
) -> None:
    url, world = committed_world
    with psycopg.connect(url) as conn:
        assign_contractor(conn, world.site_id, save_contractor(conn, Contractor("冷熱サービス", "東京都第1号", "13")))
        detector_event(conn, world.other_unit, T0, loss_pct=6.0)  # Shibuya: no contractor, raised first
        detector_event(conn, world.unit, T0, loss_pct=6.0)
    jobs = AlertJobs(url, clock=lambda: T0, auto_ticket_loss_pct=5.0)
    jobs.sync_and_escalate()  # raises nothing: the job does not fail every minute
    assert _tickets(url) == 1
    with psycopg.connect(url) as conn:
        cases = conn.execute("SELECT equipment_id FROM leak_case").fetchall()
    assert cases == [(world.unit,)]  # Shibuya's refused confirmation left no leak case behind
    assert "no contractor is registered for the unit's site" in caplog.text
