"""fw_detector_run_seconds{pass}: each streaming and daily pass is timed, against the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import psycopg
from prometheus_client import REGISTRY

from detectors.service import detect_new_hours, run_daily_diagnosis


def _runs(kind: str) -> float:
    return REGISTRY.get_sample_value("fw_detector_run_seconds_count", {"pass": kind}) or 0.0


def test_the_streaming_and_the_daily_pass_are_timed(conn: psycopg.Connection) -> None:
    stream, daily = _runs("stream"), _runs("daily")
    detect_new_hours(conn, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert (_runs("stream"), _runs("daily")) == (stream + 1, daily)
    run_daily_diagnosis(conn, date(2026, 3, 1), ZoneInfo("Asia/Tokyo"), datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert (_runs("stream"), _runs("daily")) == (stream + 1, daily + 1)
