"""The simulator driver: the Driver protocol over a simulated unit, read in any rhythm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from edge_agent.drivers.base import Driver, DriverError
from edge_agent.simulator import SimulatorDriverConfig, simulate, to_readings

START = datetime(2026, 4, 1, 3, tzinfo=UTC)
CONFIG = {
    "type": "simulator",
    "kind": "cold_room",
    "refrigerant": "R448A",
    "charge_kg": 15.0,
    "seed": 3,
    "faults": [{"type": "leak", "onset": "2026-04-02T00:00:00+09:00", "rate_pct_per_day": 2.0}],
}


def _driver(circuits: tuple[int, ...] = (1, 2), interval_s: float = 60.0) -> Driver:
    return SimulatorDriverConfig.model_validate(CONFIG).create_driver("CR-7", circuits, interval_s, START)


def test_reads_in_any_rhythm_equal_one_simulation() -> None:
    """Chunks of a day are windows of one run, so irregular reads across day boundaries change nothing."""
    driver = _driver()
    got, now = [], START
    for seconds in np.random.default_rng(1).uniform(1.0, 30_000.0, size=12):
        now += timedelta(seconds=float(seconds))
        got += driver.read(now)
    config = SimulatorDriverConfig.model_validate(CONFIG)
    unit = config.model_copy(update={"circuits": 2})
    whole = simulate(unit, "CR-7", START, int((now - START).total_seconds() // 60) + 1, 60.0)
    assert got == to_readings(whole)
    assert got[-1].ts <= now < got[-1].ts + timedelta(minutes=2)


def test_each_reading_is_returned_once_and_only_when_due() -> None:
    driver = _driver(circuits=(2,))
    assert driver.read(START - timedelta(seconds=1)) == []
    first = driver.read(START)
    assert [(r.ts, r.circuit) for r in first] == [(START, 2)]
    assert driver.read(START + timedelta(seconds=59)) == []
    assert [r.ts for r in driver.read(START + timedelta(minutes=3))] == [
        START + timedelta(minutes=m) for m in (1, 2, 3)
    ]


def test_a_closed_driver_refuses_to_read() -> None:
    driver = _driver()
    driver.close()
    with pytest.raises(DriverError, match="closed"):
        driver.read(START)


def test_a_naive_clock_is_a_driver_error() -> None:
    with pytest.raises(DriverError, match="timezone-aware"):
        _driver().read(datetime(2026, 4, 2))


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"type": "modbus"}, "type"), ({"port": 502}, "port"), ({"refrigerant": "R515B"}, "R515B")],
)
def test_config_errors_name_the_key(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SimulatorDriverConfig.model_validate({**CONFIG, **changes})


def test_circuits_must_be_distinct_and_positive() -> None:
    config = SimulatorDriverConfig.model_validate(CONFIG)
    with pytest.raises(ValueError, match="circuits"):
        config.create_driver("CR-7", (1, 1), 60.0, START)
    with pytest.raises(ValueError, match="circuits"):
        config.create_driver("CR-7", (0,), 60.0, START)


def test_accelerated_mode_runs_from_the_past_at_speed_and_never_ahead_of_real_time() -> None:
    """Issue 3: accelerated mode (N simulated seconds per real second), caught up, it goes on live."""
    from datetime import UTC, datetime, timedelta

    from edge_agent.simulator.driver import SimulatorDriverConfig

    agent_start = datetime(2026, 5, 1, 12, tzinfo=UTC)
    config = SimulatorDriverConfig.model_validate(
        {"type": "simulator", "kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 8, "seed": 3,
         "start": agent_start - timedelta(hours=2), "speed": 60}
    )  # fmt: skip
    driver = config.create_driver("SC-01", (1,), 60.0, agent_start)
    first = driver.read(agent_start + timedelta(seconds=30))  # 30 real s = 30 simulated min
    assert first[0].ts == agent_start - timedelta(hours=2)
    assert first[-1].ts <= agent_start - timedelta(hours=1, minutes=30)
    assert len(first) >= 29
    later = driver.read(agent_start + timedelta(minutes=10))  # would be 10 h ahead: capped at real time
    assert later[-1].ts <= agent_start + timedelta(minutes=10)
    assert later[-1].ts >= agent_start + timedelta(minutes=9)
