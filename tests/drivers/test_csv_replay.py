"""The CSV replay driver: the readings CSV replay format of issue 5, played back by time."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from edge_agent.drivers.base import DriverError
from edge_agent.drivers.csv_replay import CsvReplayDriver, CsvReplayDriverConfig

START = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
ROWS = (
    "ts,suction_pressure_mpag,compressor_on,purge_count\n"
    "2025-01-10T09:00:00+09:00,0.31,1,0\n"
    "2025-01-10T09:01:00+09:00,0.30,0,2\n"
    "2025-01-10T09:02:00+09:00,0.29,1,3\n"
)
FIRST = datetime(2025, 1, 10, 0, 0, tzinfo=UTC)  # 09:00 at +09:00
MINUTE = timedelta(minutes=1)


def replay(tmp_path: Path, text: str, **fields: Any) -> CsvReplayDriver:
    path = tmp_path / "readings.csv"
    path.write_text(text, encoding="utf-8")
    config = CsvReplayDriverConfig.model_validate({"type": "csv_replay", "path": str(path), **fields})
    return config.create_driver("SC-07", (2, 3), 60.0, START)


def test_original_timing_returns_each_row_once_it_is_due(tmp_path: Path) -> None:
    driver = replay(tmp_path, ROWS)
    assert driver.read(FIRST - MINUTE) == []
    first, second = driver.read(FIRST + MINUTE)
    assert (first.equipment, first.circuit, first.ts) == ("SC-07", 2, FIRST)
    assert second.ts == FIRST + MINUTE and second.ts.utcoffset() == timedelta(0)
    assert driver.read(FIRST + MINUTE) == []
    assert [r.ts for r in driver.read(FIRST + 10 * MINUTE)] == [FIRST + 2 * MINUTE]
    assert driver.read(FIRST + 100 * MINUTE) == []
    driver.close()


def test_values_take_the_type_of_their_channel(tmp_path: Path) -> None:
    driver = replay(tmp_path, ROWS)
    values = driver.read(FIRST)[0].values
    driver.close()
    assert values == {"suction_pressure_mpag": 0.31, "compressor_on": True, "purge_count": 0}
    assert type(values["compressor_on"]) is bool and type(values["purge_count"]) is int


def test_rebase_replays_the_file_from_the_drivers_start_keeping_intervals(tmp_path: Path) -> None:
    driver = replay(tmp_path, ROWS, timing="rebase")
    assert driver.read(FIRST + 10 * MINUTE) == []  # the file's own times mean nothing now
    assert [r.ts for r in driver.read(START + MINUTE)] == [START, START + MINUTE]
    assert [r.ts for r in driver.read(START + 5 * MINUTE)] == [START + 2 * MINUTE]
    assert driver.read(START + 50 * MINUTE) == []
    driver.close()


def test_a_loop_starts_over_one_sampling_interval_after_the_last_row(tmp_path: Path) -> None:
    driver = replay(tmp_path, ROWS, timing="rebase", loop=True)
    readings = driver.read(START + 8 * MINUTE)
    driver.close()
    assert [r.ts for r in readings] == [START + i * MINUTE for i in range(9)]
    assert [r.values["suction_pressure_mpag"] for r in readings[:6]] == [0.31, 0.30, 0.29, 0.31, 0.30, 0.29]


def test_a_loop_needs_rebase_timing(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="`loop` needs `timing: rebase`"):
        CsvReplayDriverConfig.model_validate({"type": "csv_replay", "path": "x.csv", "loop": True})


def test_an_empty_cell_is_a_missing_value(tmp_path: Path) -> None:
    driver = replay(tmp_path, "ts,suction_pressure_mpag,compressor_on\n2025-01-10T00:00:00Z,,\n")
    assert driver.read(START)[0].values == {"suction_pressure_mpag": None, "compressor_on": None}
    driver.close()


def test_an_unknown_column_is_rejected_naming_it_and_the_line(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match=r"readings\.csv line 1: unknown column 'suction_pressure'"):
        replay(tmp_path, "ts,suction_pressure\n")


def test_the_first_column_must_be_ts(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match="the first column must be `ts`, found 'time'"):
        replay(tmp_path, "time,suction_pressure_mpag\n")
    with pytest.raises(DriverError, match="found no header"):
        replay(tmp_path, "")


def test_a_relative_path_is_taken_from_the_config_directory(tmp_path: Path) -> None:
    (tmp_path / "readings.csv").write_text(ROWS, encoding="utf-8")
    config = CsvReplayDriverConfig.model_validate(
        {"type": "csv_replay", "path": "readings.csv"}, context={"config_dir": tmp_path}
    )
    driver = config.create_driver("SC-07", (1,), 60.0, START)
    assert len(driver.read(START)) == 3
    driver.close()


@pytest.mark.parametrize(
    ("bad_row", "problem"),
    [
        ("2025-01-10T09:01:00+09:00,abc,0,2", "suction_pressure_mpag='abc' is not a number"),
        ("2025-01-10T09:01:00+09:00,0.30,2,2", "compressor_on='2' is not 0 or 1"),
        ("2025-01-10T09:01:00+09:00,0.30,0,1.5", "purge_count='1.5' is not a whole count"),
        ("2025-01-10T09:01:00+09:00,nan,0,2", "is not a finite number"),
        ("2025-01-10T09:01:00,0.30,0,2", "has no UTC offset"),
        ("yesterday,0.30,0,2", "Invalid isoformat string"),
        ("2025-01-10T09:01:00+09:00,0.30,0", "3 cells, the header has 4"),
        ("2025-01-10T08:59:00+09:00,0.30,0,2", "earlier than the row before it"),
    ],
)
def test_a_malformed_row_raises_once_is_counted_and_the_replay_continues(
    tmp_path: Path, bad_row: str, problem: str
) -> None:
    lines = ROWS.splitlines()
    driver = replay(tmp_path, "\n".join([*lines[:2], bad_row, lines[3]]) + "\n")
    later = FIRST + 10 * MINUTE
    assert [r.ts for r in driver.read(later)] == [FIRST]  # the good row before it comes back first
    with pytest.raises(DriverError, match=rf"readings\.csv line 3: .*{problem}.*; row skipped"):
        driver.read(later)
    assert driver.skipped_rows == 1
    assert [r.ts for r in driver.read(later)] == [FIRST + 2 * MINUTE]
    driver.close()


def test_a_malformed_first_row_raises_at_once(tmp_path: Path) -> None:
    driver = replay(tmp_path, "ts,compressor_on\n2025-01-10T00:00:00Z,yes\n2025-01-10T00:01:00Z,1\n")
    with pytest.raises(DriverError, match="line 2"):
        driver.read(START)
    assert [r.values for r in driver.read(START)] == [{"compressor_on": True}]
    assert driver.skipped_rows == 1
    driver.close()


def test_a_big_file_is_streamed_in_bounded_batches(tmp_path: Path) -> None:
    rows = 100_000
    path = tmp_path / "readings.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("ts,suction_pressure_mpag,cabinet_temp_c,compressor_on\n")
        for i in range(rows):
            out.write(f"{(FIRST + i * MINUTE).isoformat()},0.3{i % 10},-18.5,{i % 2}\n")
    config = CsvReplayDriverConfig(type="csv_replay", path=path, max_rows_per_read=1000)
    tracemalloc.start()
    driver = config.create_driver("SC-07", (1,), 60.0, START)
    first = driver.read(START)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < path.stat().st_size / 4  # holding the whole file would take at least its size
    assert [r.ts for r in first] == [FIRST + i * MINUTE for i in range(1000)]
    assert [r.ts for r in driver.read(START)] == [FIRST + i * MINUTE for i in range(1000, 2000)]
    driver.close()
