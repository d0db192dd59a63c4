"""Running the simulator: determinism, windows that match the whole run, the replay CSV and the truth CSV."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from edge_agent.simulator import (
    SimulatedUnit,
    simulate,
    simulate_window,
    to_readings,
    write_ground_truth_csv,
    write_readings_csv,
)
from fluorowatch.domain.channels import channels

START = datetime(2026, 1, 1, tzinfo=UTC)
LEAK = {"type": "leak", "onset": "2026-01-02T00:00:00+00:00", "rate_pct_per_day": 3.0}


def _unit(seed: int = 7, **changes: object) -> SimulatedUnit:
    fields = {"kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 9.0, "seed": seed, "faults": [LEAK]}
    return SimulatedUnit.model_validate({**fields, **changes})


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def test_the_same_seed_gives_the_same_run_and_another_seed_another_unit() -> None:
    first = simulate(_unit(), "SC-1", START, 2880, 60.0)
    again = simulate(_unit(), "SC-1", START, 2880, 60.0)
    other = simulate(_unit(seed=8), "SC-1", START, 2880, 60.0)
    assert all(_same(first.channels[k], again.channels[k]) for k in first.channel_keys)
    assert _same(first.present, again.present)
    assert not _same(first.channels["compressor_current_a"], other.channels["compressor_current_a"])
    assert not _same(first.channels["cabinet_temp_c"], other.channels["cabinet_temp_c"])


@pytest.mark.parametrize("interval_s", [60.0, 900.0])
def test_windows_of_a_run_equal_the_whole_run(interval_s: float) -> None:
    unit = _unit(circuits=2, kind="turbo_chiller", refrigerant="R123")  # measurements, flags and purge counts
    whole = simulate(unit, "SC-1", START, 5000, interval_s)
    edges = [0, 1, 777, 4096, 4097, 5000]
    parts = [simulate_window(unit, "SC-1", START, (a, b), interval_s) for a, b in itertools.pairwise(edges)]
    assert _same(np.concatenate([p.ts for p in parts]), whole.ts)
    assert _same(np.concatenate([p.present for p in parts]), whole.present)
    for number in (1, 2):
        for key in whole.channel_keys:
            joined = np.concatenate([p.circuit(number).channels[key] for p in parts])
            assert _same(joined, whole.circuit(number).channels[key]), (number, key)


def test_circuits_differ_and_faults_stay_on_their_circuit() -> None:
    result = simulate(_unit(circuits=2), "SC-1", START, 4320, 60.0)
    one, two = result.circuit(1), result.circuit(2)
    assert one.charge_fraction[-1] < 0.95 and two.charge_fraction[-1] == 1.0
    assert not _same(one.channels["suction_temp_c"], two.channels["suction_temp_c"])
    with pytest.raises(KeyError, match="circuit 3"):
        result.circuit(3)


def test_a_long_run_has_missing_values_and_a_few_missing_rows() -> None:
    result = simulate(_unit(), "SC-1", START, 30 * 1440, 60.0)
    missing_rows = int((~result.present).sum())
    assert 0 < missing_rows < 0.01 * result.ts.size
    missing_cells = sum(int(np.isnan(result.channels[k]).sum()) for k in result.channel_keys)
    assert 0 < missing_cells < 0.002 * result.ts.size * len(result.channel_keys)


def test_the_readings_csv_is_the_replay_format(tmp_path: Path) -> None:
    """Issue 5: ts (ISO 8601 with offset) then channel keys, empty cell = missing, rows in time order."""
    result = simulate(_unit(), "SC-1", START, 10 * 1440, 60.0)
    assert not result.present.all()
    path = tmp_path / "readings.csv"
    write_readings_csv(result, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header == ["ts", *result.channel_keys]
    assert header[1:] == [c.key for c in channels() if c.key in header]  # channels.csv keys and order
    assert "chw_in_temp_c" not in header and "purge_count" not in header
    assert len(body) == int(result.present.sum())
    stamps = [datetime.fromisoformat(row[0]) for row in body]
    assert all(row[0].endswith("+00:00") for row in body)
    assert all(s.utcoffset() == timedelta(0) for s in stamps)
    assert stamps == sorted(stamps) and stamps[0] == START
    expected_ts = result.ts[result.present]
    assert [np.datetime64(s.replace(tzinfo=None), "us") for s in stamps] == list(expected_ts)
    for column, key in enumerate(result.channel_keys, start=1):
        cells = [row[column] for row in body]
        values = result.channels[key][result.present]
        assert [c == "" for c in cells] == list(np.isnan(values)), key
        parsed = np.array([float(c) if c else np.nan for c in cells])
        np.testing.assert_allclose(parsed, values, atol=1e-9, equal_nan=True, err_msg=key)
    flags = {row[header.index("compressor_on")] for row in body}
    assert flags <= {"0", "1", ""}


def test_timestamps_keep_fractions_of_a_second(tmp_path: Path) -> None:
    result = simulate(_unit(), "SC-1", datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))), 3, 10.5)
    write_readings_csv(result, tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in lines[1:]][:2] == [
        "2026-01-01T00:00:00.000000+00:00",
        "2026-01-01T00:00:10.500000+00:00",
    ]


def test_the_ground_truth_csv_has_every_step(tmp_path: Path) -> None:
    result = simulate(_unit(), "SC-1", START, 3 * 1440, 60.0)
    path = tmp_path / "truth.csv"
    write_ground_truth_csv(result, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["ts", "remaining_charge_kg", "charge_fraction", "active_faults"]
    assert len(rows) == result.ts.size
    assert rows[0]["active_faults"] == "" and rows[-1]["active_faults"] == "leak"
    assert float(rows[0]["remaining_charge_kg"]) == 9.0
    assert float(rows[-1]["charge_fraction"]) == pytest.approx(1 - 0.03 * (2 - 1 / 1440), abs=1e-5)


def test_readings_carry_circuits_and_none_for_missing_values() -> None:
    result = simulate(_unit(circuits=2), "SC-1", START, 10 * 1440, 60.0)
    readings = to_readings(result)
    assert len(readings) == 2 * int(result.present.sum())
    assert [r.circuit for r in readings[:4]] == [1, 2, 1, 2]
    assert readings[0].ts == START and readings[0].equipment == "SC-1"
    assert all(r.ts.tzinfo is UTC for r in readings[:10])
    assert set(readings[0].values) == set(result.channel_keys)
    assert isinstance(readings[0].values["compressor_on"], int)
    assert any(None in r.values.values() for r in readings)


@pytest.mark.parametrize(
    ("start", "steps", "interval", "message"),
    [
        (datetime(2026, 1, 1), 10, 60.0, "timezone-aware"),
        (START, 10, 0.5, "interval_s"),
        (START, 10, float("nan"), "interval_s"),
        (START, -1, 60.0, "steps"),
    ],
)
def test_bad_run_arguments_are_refused(start: datetime, steps: int, interval: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(_unit(), "SC-1", start, steps, interval)
