"""The detector service against a real database: learning, the streaming pass and the daily diagnosis on
simulated readings stored in the telemetry table (REGULATION.md (p) ロ, ハ)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import psycopg
import pytest

from detectors import service
from detectors.engine import CircuitDetector, CircuitState, EquipmentSpec
from detectors.features import hourly_values
from detectors.model import CircuitModel
from detectors.service import detect_new_hours, detect_until, learn_circuit, run_daily_diagnosis
from fluorowatch.domain.equipment import EquipmentKind
from ingest.service import Housekeeping
from storage.detector_queries import load_model, load_state, model_versions, read_circuit_readings

from .conftest import LEAK_ONSET_DAY, LEARNED_DAYS, TOKYO, Store, day, midnight

DIAGNOSED_DAYS = range(10, 27)


@pytest.fixture(scope="module")
def diagnosed(store: Store) -> Store:
    """Both units learned on their first two weeks, then each day diagnosed in turn, as the worker would (with
    a reader connection, one circuit per round: each round's readings are read ahead during the one before)."""
    with psycopg.connect(store.url, autocommit=True) as conn, psycopg.connect(store.url, autocommit=True) as reader:
        for equipment_id in (store.leaking, store.quiet):
            learn_circuit(conn, equipment_id, 1, midnight(0), midnight(LEARNED_DAYS), "commissioning")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(service, "CHUNK_CIRCUITS", 1)
            for n in DIAGNOSED_DAYS:
                run_daily_diagnosis(conn, day(n), TOKYO, reader=reader)
    return store


@pytest.fixture
def conn(diagnosed: Store) -> Iterator[psycopg.Connection]:
    with psycopg.connect(diagnosed.url, autocommit=True) as connection:
        yield connection


def _statuses(conn: psycopg.Connection, equipment_id: int) -> dict[int, str]:
    rows = conn.execute("SELECT day, status FROM diagnosis WHERE equipment_id = %s", (equipment_id,)).fetchall()
    return {(d - day(0)).days: s for d, s in rows}


def _table(conn: psycopg.Connection, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query).fetchall()


def test_every_circuit_in_service_gets_a_diagnosis_every_day(conn: psycopg.Connection, diagnosed: Store) -> None:
    for equipment_id in (diagnosed.leaking, diagnosed.quiet, diagnosed.new):
        assert sorted(_statuses(conn, equipment_id)) == list(DIAGNOSED_DAYS)


def test_a_leak_raises_a_leak_event_and_its_days_are_leak_suspected(conn: psycopg.Connection, diagnosed: Store) -> None:
    events = _table(conn, f"SELECT ts, status, estimated_charge_loss_pct, model_version FROM detector_event"
                          f" WHERE equipment_id = {diagnosed.leaking} AND category = 'leak' ORDER BY ts")  # fmt: skip
    assert events, "the leak was not detected"
    raised_at, status, loss, version = events[0]
    assert (status, version) == ("raised", 1)
    assert midnight(LEAK_ONSET_DAY) < raised_at < midnight(LEAK_ONSET_DAY + 7)
    assert loss is not None and 0 < loss < 30  # REGULATION.md (p) ホ: judged before 30 % of the charge is lost
    alert_day = (raised_at.astimezone(TOKYO).date() - day(0)).days
    statuses = _statuses(conn, diagnosed.leaking)
    assert {statuses[n] for n in range(alert_day, DIAGNOSED_DAYS.stop)} == {"leak_suspected"}


def test_the_days_before_the_leak_are_no_leak(conn: psycopg.Connection, diagnosed: Store) -> None:
    statuses = _statuses(conn, diagnosed.leaking)
    assert {statuses[n] for n in range(LEARNED_DAYS + 1, LEAK_ONSET_DAY)} == {"no_leak"}
    row = conn.execute(
        "SELECT hours_measured, estimated_charge_loss_pct, categories, detail FROM diagnosis"
        " WHERE equipment_id = %s AND day = %s",
        (diagnosed.leaking, day(LEARNED_DAYS + 1)),
    ).fetchone()
    assert row is not None
    hours, loss, categories, detail = row
    assert 4 <= hours <= 24 and abs(loss) < 5 and categories == []
    assert detail["model_version"] == 1


def test_a_learned_circuit_without_readings_that_day_has_insufficient_data(
    conn: psycopg.Connection, diagnosed: Store
) -> None:
    statuses = _statuses(conn, diagnosed.quiet)  # its readings stop at the start of day 20
    assert {statuses[n] for n in range(21, DIAGNOSED_DAYS.stop)} == {"insufficient_data"}
    hours = conn.execute(
        "SELECT hours_measured FROM diagnosis WHERE equipment_id = %s AND day = %s", (diagnosed.quiet, day(22))
    ).fetchone()
    assert hours == (0,)


def test_a_circuit_never_learned_and_a_day_inside_the_learning_window_have_no_baseline(
    conn: psycopg.Connection, diagnosed: Store
) -> None:
    assert set(_statuses(conn, diagnosed.new).values()) == {"no_baseline"}
    learned = _statuses(conn, diagnosed.leaking)
    assert {learned[n] for n in range(10, LEARNED_DAYS)} == {"no_baseline"}


def test_hour_verdicts_are_stored_for_each_hour_judged(conn: psycopg.Connection, diagnosed: Store) -> None:
    first, last, hours = conn.execute(
        "SELECT min(hour_utc), max(hour_utc), count(*) FROM detector_hour WHERE equipment_id = %s",
        (diagnosed.leaking,),
    ).fetchone() or (None, None, None)
    assert first == midnight(LEARNED_DAYS)  # the first hour after the learning window
    assert last == midnight(DIAGNOSED_DAYS.stop) - timedelta(hours=1)
    assert hours == (DIAGNOSED_DAYS.stop - LEARNED_DAYS) * 24


def test_running_the_daily_diagnosis_again_changes_nothing(conn: psycopg.Connection, diagnosed: Store) -> None:
    snapshot = (
        "SELECT (SELECT array_agg((equipment_id, day, status, hours_measured, estimated_charge_loss_pct,"
        " categories, detail, created_at) ORDER BY equipment_id, day) FROM diagnosis),"
        " (SELECT count(*) FROM detector_hour), (SELECT array_agg(id ORDER BY id) FROM detector_event),"
        " (SELECT array_agg((equipment_id, last_hour_utc, state) ORDER BY equipment_id) FROM detector_state)"
    )
    before = _table(conn, snapshot)
    for n in (LEARNED_DAYS + 1, DIAGNOSED_DAYS.stop - 1):
        result = run_daily_diagnosis(conn, day(n), TOKYO)
        assert result.detection.hours == 0 and result.circuits == 3
    assert _table(conn, snapshot) == before


def test_the_pass_in_pieces_judges_as_one_pass_over_the_same_readings(
    conn: psycopg.Connection, diagnosed: Store
) -> None:
    """The streaming pass reads a little history before each new hour; that must not change the verdicts."""
    stored = _table(conn, f"SELECT hour_utc, lost_pct FROM detector_hour WHERE equipment_id = {diagnosed.leaking}"
                          " AND has_data ORDER BY hour_utc")  # fmt: skip
    ts_s, frame = read_circuit_readings(conn, diagnosed.leaking, 1, midnight(0), midnight(DIAGNOSED_DAYS.stop))
    model = load_model(conn, diagnosed.leaking, 1)
    assert model is not None
    spec = EquipmentSpec("SC-LEAK", EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal("12"), Decimal("3.7"))
    state = CircuitState(last_hour_s=midnight(LEARNED_DAYS).timestamp() - 3600.0)
    detector = CircuitDetector(spec, CircuitModel.from_json(model.model), 1, state)
    verdicts = [v for v in detector.process(hourly_values(frame, ts_s, "R404A")).verdicts if v.has_data]
    assert [datetime.fromtimestamp(v.hour_s, UTC) for v in verdicts] == [h for h, _ in stored]
    one_pass = np.array([v.lost_pct for v in verdicts])
    in_pieces = np.array([math.nan if p is None else p for _, p in stored])
    np.testing.assert_allclose(in_pieces, one_pass, rtol=1e-9, atol=1e-9)


def test_readings_come_back_in_time_order_with_flags_as_numbers_and_absent_channels_left_out(
    conn: psycopg.Connection, diagnosed: Store
) -> None:
    ts_s, frame = read_circuit_readings(conn, diagnosed.leaking, 1, midnight(3), midnight(4))
    assert len(ts_s) > 280 and (np.diff(ts_s) > 0).all()
    assert midnight(3).timestamp() <= ts_s[0] and ts_s[-1] < midnight(4).timestamp()
    assert set(np.unique(frame["compressor_on"][~np.isnan(frame["compressor_on"])])) <= {0.0, 1.0}
    assert "chw_in_temp_c" not in frame  # a showcase has no chilled water
    assert all(len(values) == len(ts_s) for values in frame.values())
    empty_ts, empty = read_circuit_readings(conn, diagnosed.new, 1, midnight(3), midnight(4))
    assert len(empty_ts) == 0 and empty == {}


def test_nothing_due_is_a_cheap_no_op(conn: psycopg.Connection, diagnosed: Store) -> None:
    assert detect_until(conn, midnight(DIAGNOSED_DAYS.stop)).circuits == 0


def test_housekeeping_runs_the_streaming_pass_once_per_hour(conn: psycopg.Connection, diagnosed: Store) -> None:
    now = datetime.now(UTC)
    housekeeping = Housekeeping(timedelta(minutes=30), clock=lambda: now)
    with conn.transaction():
        housekeeping.run(conn)
    state = load_state(conn, diagnosed.leaking, 1)
    assert state is not None and state.model_version == 1
    assert state.last_hour == midnight(30) - timedelta(hours=1)  # its readings end with day 29
    assert state.state["last_hour_s"] == state.last_hour.timestamp()
    assert housekeeping.detected_until is not None and housekeeping.detected_until <= now
    conn.execute("DELETE FROM detector_state WHERE equipment_id = %s", (diagnosed.quiet,))
    with conn.transaction():
        housekeeping.run(conn)  # the same hour: no second pass, so the state deleted is not written again
    assert load_state(conn, diagnosed.quiet, 1) is None
    assert detect_new_hours(conn, now).circuits == 1  # the deleted state: judged afresh after its model


def test_relearning_adds_version_2_and_keeps_version_1(conn: psycopg.Connection, diagnosed: Store) -> None:
    first = load_model(conn, diagnosed.quiet, 1)
    version = learn_circuit(conn, diagnosed.quiet, 1, midnight(5), midnight(19), "after verified repair")
    assert version == 2
    assert model_versions(conn, diagnosed.quiet, 1) == [1, 2]
    active = load_model(conn, diagnosed.quiet, 1)
    assert active is not None and (active.version, active.reason) == (2, "after verified repair")
    assert active.model["baseline"]["version"] == 2
    assert load_model(conn, diagnosed.quiet, 1, version=1) == first
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason, model)"
            " SELECT equipment_id, circuit_no, 1, trained_from, trained_until, 'manual', model FROM detector_model"
            " WHERE equipment_id = %s AND version = 2",
            (diagnosed.quiet,),
        )
