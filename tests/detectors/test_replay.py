"""The replay contract (detectors/replay.py), through the CLI as other tools call it:

    fluorowatch detect replay --equipment EQUIPMENT.json --readings READINGS.csv --baseline-until TS --out ALERTS.csv

READINGS.csv comes from the simulator's ``write_readings_csv`` (the replay format). Bad input exits with code 2
and a message naming the file, the line and the column or key, so a user can fix it without reading code.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import detectors.replay as replay_module
from detectors.engine import CATEGORIES, DETECTOR_NAMES, Event
from detectors.replay import (
    ALERTS_HEADER,
    ReplayError,
    load_equipment,
    load_readings,
    parse_timestamp,
    run_replay,
    write_alerts,
)
from edge_agent.simulator import Leak, SimulatedUnit, simulate, write_readings_csv
from fluorowatch.cli import main
from fluorowatch.domain.equipment import EquipmentKind

START = datetime(2026, 4, 1, tzinfo=UTC)
ONSET = START + timedelta(days=16)
UNTIL = START + timedelta(days=14)
HEADER = "ts,equipment_id,category,severity,estimated_charge_loss_pct,detector,message"
EQUIPMENT = {"equipment_id": "SC-01", "kind": "showcase_remote", "refrigerant": "R404A", "charge_kg": 12,
             "rated_output_kw": 2.2, "cabinet_setpoint_c": 3.0}  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Files:
    equipment: Path
    readings: Path

    def args(self, until: str, out: Path) -> list[str]:
        return ["detect", "replay", "--equipment", str(self.equipment), "--readings", str(self.readings),
                "--baseline-until", until, "--out", str(out)]  # fmt: skip


@dataclass(frozen=True)
class Cli:
    code: int
    out: str
    err: str


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _simulate(directory: Path, days: float, interval_s: float = 300.0, *faults: Leak) -> Files:
    unit = SimulatedUnit(kind=EquipmentKind.SHOWCASE_REMOTE, refrigerant="R404A", charge_kg=12, seed=7, faults=faults)
    result = simulate(unit, "SC-01", START, int(days * 86400 / interval_s), interval_s)
    readings = directory / "readings.csv"
    write_readings_csv(result, readings)
    equipment = directory / "equipment.json"
    equipment.write_text(json.dumps(EQUIPMENT), encoding="utf-8")
    return Files(equipment, readings)


def _cli(args: list[str]) -> Cli:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return Cli(code, out.getvalue(), err.getvalue())


def _alerts(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """The baseline's Huber fits are ~20x slower when OpenBLAS threads compete for a busy CPU; same results."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def leak_files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """30 days of a remote showcase leaking 1 %/day from day 16, every 5 minutes."""
    return _simulate(tmp_path_factory.mktemp("leak"), 30, 300.0, Leak(onset=ONSET, rate_pct_per_day=1.0))


@pytest.fixture(scope="module")
def leak_replay(leak_files: Files, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    out = tmp_path_factory.mktemp("alerts") / "alerts.csv"
    return _cli(leak_files.args(_iso(UNTIL), out)), out


@pytest.fixture(scope="module")
def short_files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """Three healthy days: enough to parse; the input errors are found before any learning."""
    return _simulate(tmp_path_factory.mktemp("short"), 3)


@pytest.fixture
def short_lines(short_files: Files) -> list[str]:
    return short_files.readings.read_text(encoding="utf-8").splitlines()


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _set_cell(lines: list[str], line: int, column: str, value: str) -> None:
    """Set ``column`` of file line ``line`` (1 = the header)."""
    index = lines[0].split(",").index(column)
    cells = lines[line - 1].split(",")
    cells[index] = value
    lines[line - 1] = ",".join(cells)


def _fails(files: Files, tmp_path: Path, until: str = "2026-04-02T12:00:00+00:00") -> str:
    """Run the CLI expecting the usage-error exit code; the message on stderr."""
    out = tmp_path / "alerts.csv"
    result = _cli(files.args(until, out))
    assert result.code == 2, result
    assert result.err.startswith("fluorowatch: error: ")
    assert not out.exists()  # nothing half-written
    return result.err


# --- the contract's output --------------------------------------------------------------------------------------------


def test_the_cli_writes_alerts_csv_with_the_contract_header(leak_replay: tuple[Cli, Path]) -> None:
    result, out = leak_replay
    assert result.code == 0, result.err
    assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert ",".join(ALERTS_HEADER) == HEADER
    rows = _alerts(out)
    assert result.out.strip() == f"{len(rows)} alert(s) written to {out}"


def test_a_leak_scenario_yields_a_leak_row_after_the_onset(leak_replay: tuple[Cli, Path]) -> None:
    rows = [row for row in _alerts(leak_replay[1]) if row["category"] == "leak"]
    assert len(rows) == 1, rows
    row = rows[0]
    ts = datetime.fromisoformat(row["ts"])
    assert ts.tzinfo is not None and ts > ONSET
    assert row["equipment_id"] == "SC-01" and row["detector"] == DETECTOR_NAMES["leak"]
    assert row["severity"] in ("high", "critical")
    truth = (ts - ONSET).total_seconds() / 86400.0 * 1.0  # % lost at 1 %/day
    assert abs(float(row["estimated_charge_loss_pct"]) - truth) <= max(2.5, 0.5 * truth)
    assert "refrigerant leak suspected" in row["message"] and "t-CO2/yr" in row["message"]


def test_every_alert_row_is_well_formed(leak_replay: tuple[Cli, Path]) -> None:
    rows = _alerts(leak_replay[1])
    assert rows
    for row in rows:
        assert list(row) == list(ALERTS_HEADER)
        assert datetime.fromisoformat(row["ts"]) > UNTIL
        assert row["category"] in CATEGORIES and row["detector"] == DETECTOR_NAMES[row["category"]]
        assert row["message"]
        loss = row["estimated_charge_loss_pct"]
        assert loss == "" or math.isfinite(float(loss))


@pytest.mark.slow
def test_the_contract_holds_through_a_real_subprocess(
    leak_files: Files, leak_replay: tuple[Cli, Path], tmp_path: Path
) -> None:
    out = tmp_path / "alerts.csv"
    done = subprocess.run([sys.executable, "-m", "fluorowatch.cli", *leak_files.args(_iso(UNTIL), out)],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"alert(s) written to {out}" in done.stdout
    assert out.read_text(encoding="utf-8") == leak_replay[1].read_text(encoding="utf-8")  # same as in-process


def test_run_replay_returns_the_alert_count_and_the_notes_the_cli_prints(
    leak_files: Files, leak_replay: tuple[Cli, Path], tmp_path: Path
) -> None:
    written, notes = run_replay(leak_files.equipment, leak_files.readings, _iso(UNTIL), tmp_path / "alerts.csv")
    assert written == len(_alerts(leak_replay[1]))
    assert [f"note: {note}" for note in notes] == [n for n in leak_replay[0].err.splitlines() if n.startswith("note:")]


# --- the readings file ------------------------------------------------------------------------------------------------


def test_an_unknown_column_is_named(short_files: Files, short_lines: list[str], tmp_path: Path) -> None:
    short_lines[0] = short_lines[0].replace("liquid_temp_c", "liquid_temperature")
    err = _fails(Files(short_files.equipment, _write_lines(tmp_path / "r.csv", short_lines)), tmp_path)
    assert f"{tmp_path / 'r.csv'}:1:" in err and "unknown column 'liquid_temperature'" in err


def test_the_first_column_must_be_ts(short_files: Files, short_lines: list[str], tmp_path: Path) -> None:
    short_lines[0] = short_lines[0].replace("ts,", "time,", 1)
    err = _fails(Files(short_files.equipment, _write_lines(tmp_path / "r.csv", short_lines)), tmp_path)
    assert ":1:" in err and "first column must be ts" in err


def test_a_repeated_column_is_named(short_files: Files, short_lines: list[str], tmp_path: Path) -> None:
    short_lines[0] = short_lines[0].replace("discharge_temp_c", "liquid_temp_c")
    err = _fails(Files(short_files.equipment, _write_lines(tmp_path / "r.csv", short_lines)), tmp_path)
    assert "liquid_temp_c appear more than once" in err


def test_a_timestamp_without_offset_is_refused_with_file_and_line(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    short_lines[4] = short_lines[4].replace("+00:00", "", 1)  # line 5
    path = _write_lines(tmp_path / "r.csv", short_lines)
    err = _fails(Files(short_files.equipment, path), tmp_path)
    assert f"{path}:5:" in err and "no UTC offset" in err


def test_a_malformed_timestamp_is_refused_with_file_and_line(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    _set_cell(short_lines, 9, "ts", "01/04/2026 00:40")
    path = _write_lines(tmp_path / "r.csv", short_lines)
    err = _fails(Files(short_files.equipment, path), tmp_path)
    assert f"{path}:9:" in err and "'01/04/2026 00:40' is not an ISO 8601 timestamp" in err


def test_rows_out_of_order_are_refused_with_the_line(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    short_lines[10], short_lines[11] = short_lines[11], short_lines[10]  # lines 11 and 12 swapped
    path = _write_lines(tmp_path / "r.csv", short_lines)
    err = _fails(Files(short_files.equipment, path), tmp_path)
    assert f"{path}:12:" in err and "time order" in err


def test_a_repeated_timestamp_is_refused_with_the_line(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    short_lines.insert(20, short_lines[19])  # line 20 again as line 21
    path = _write_lines(tmp_path / "r.csv", short_lines)
    assert f"{path}:21:" in _fails(Files(short_files.equipment, path), tmp_path)


@pytest.mark.parametrize("value", ["abc", "1,5", "12..3"])
def test_a_non_numeric_cell_names_its_line_and_column(
    short_files: Files, short_lines: list[str], tmp_path: Path, value: str
) -> None:
    _set_cell(short_lines, 7, "liquid_temp_c", f'"{value}"' if "," in value else value)
    path = _write_lines(tmp_path / "r.csv", short_lines)
    err = _fails(Files(short_files.equipment, path), tmp_path)
    assert f"{path}:7: liquid_temp_c = {value!r} is not a number" in err


def test_an_infinite_value_names_its_line_and_column(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    _set_cell(short_lines, 30, "receiver_level_pct", "inf")
    path = _write_lines(tmp_path / "r.csv", short_lines)
    assert f"{path}:30: receiver_level_pct is infinite" in _fails(Files(short_files.equipment, path), tmp_path)


def test_a_row_with_the_wrong_number_of_cells_names_its_line(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    short_lines[14] += ",1.0"
    path = _write_lines(tmp_path / "r.csv", short_lines)
    err = _fails(Files(short_files.equipment, path), tmp_path)
    assert f"{path}:15:" in err and "cells, the header has" in err


def test_an_empty_cell_is_a_missing_value_not_an_error(short_lines: list[str], tmp_path: Path) -> None:
    _set_cell(short_lines, 3, "liquid_temp_c", "")
    readings = load_readings(_write_lines(tmp_path / "r.csv", short_lines))
    assert math.isnan(readings.frame["liquid_temp_c"][1])
    assert np.isfinite(readings.frame["liquid_temp_c"][2:]).all()


@pytest.mark.parametrize(("interval_s", "shown"), [(5.0, "5 s"), (1800.0, "1800 s")])
def test_sampling_outside_10_s_to_15_min_is_refused(tmp_path: Path, interval_s: float, shown: str) -> None:
    files = _simulate(tmp_path, 0.02 if interval_s < 10 else 3, interval_s)
    err = _fails(files, tmp_path, until=_iso(START + timedelta(minutes=10 if interval_s < 10 else 1440)))
    assert f"readings every {shown}" in err and "10 s to 15 min" in err


@pytest.mark.parametrize("interval_s", [10.0, 900.0])
def test_the_sampling_limits_themselves_are_accepted(tmp_path: Path, interval_s: float) -> None:
    files = _simulate(tmp_path, 0.1 if interval_s < 60 else 2, interval_s)
    readings = load_readings(files.readings)
    assert readings.interval_s == interval_s


def test_empty_or_headless_files_are_refused(short_files: Files, short_lines: list[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "empty file" in _fails(Files(short_files.equipment, empty), tmp_path)
    one = _write_lines(tmp_path / "one.csv", short_lines[:2])
    assert "at least two readings" in _fails(Files(short_files.equipment, one), tmp_path)
    assert "cannot read" in _fails(Files(short_files.equipment, tmp_path / "missing.csv"), tmp_path)


def test_a_file_that_is_not_utf8_is_named(short_files: Files, short_lines: list[str], tmp_path: Path) -> None:
    """A Japanese spreadsheet may save Shift_JIS; the message must name the file, not only the codec."""
    path = tmp_path / "sjis.csv"
    path.write_bytes(("\n".join(short_lines[:5]) + "\n# 冷媒\n").encode("shift_jis"))
    err = _fails(Files(short_files.equipment, path), tmp_path)
    assert str(path) in err and "UTF-8" in err


def test_a_byte_order_mark_is_not_part_of_the_header(short_lines: list[str], tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts the file with a BOM; the first column is still ts."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(short_lines) + "\n").encode("utf-8"))
    readings = load_readings(path)
    assert len(readings.ts_s) == len(short_lines) - 1


def test_readings_without_liquid_temperature_cannot_estimate_the_charge(
    short_files: Files, short_lines: list[str], tmp_path: Path
) -> None:
    index = short_lines[0].split(",").index("liquid_temp_c")
    lines = [",".join(c for i, c in enumerate(line.split(",")) if i != index) for line in short_lines]
    err = _fails(Files(short_files.equipment, _write_lines(tmp_path / "r.csv", lines)), tmp_path)
    assert "needs liquid_temp_c" in err


def test_a_file_with_a_missing_day_still_runs_and_notes_the_gap(
    leak_files: Files, tmp_path: Path, leak_replay: tuple[Cli, Path]
) -> None:
    lines = leak_files.readings.read_text(encoding="utf-8").splitlines()
    day = "2026-04-23T"
    kept = [line for line in lines if not line.startswith(day)]
    assert len(lines) - len(kept) == 288  # a whole day of 5-minute readings dropped
    out = tmp_path / "alerts.csv"
    result = _cli(Files(leak_files.equipment, _write_lines(tmp_path / "r.csv", kept)).args(_iso(UNTIL), out))
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "gap" in notes[0]
    assert "longest 24.1 h" in notes[0] and "2026-04-22T23:55:00+00:00 .. 2026-04-24T00:00:00+00:00" in notes[0]
    rows = _alerts(out)
    assert [r["category"] for r in rows if r["category"] == "leak"] == ["leak"]  # the detectors carried on


def test_gaps_are_found_between_readings(short_lines: list[str], tmp_path: Path) -> None:
    kept = short_lines[:100] + short_lines[112:]  # an hour missing after line 100
    readings = load_readings(_write_lines(tmp_path / "r.csv", kept))
    assert readings.interval_s == 300.0
    assert len(readings.gaps) == 1
    before, after = readings.gaps[0]
    assert after - before == 13 * 300.0
    assert before == parse_timestamp(short_lines[99].split(",")[0], "test")


# --- the equipment file -----------------------------------------------------------------------------------------------


def _equipment_fails(short_files: Files, tmp_path: Path, data: Any) -> str:
    path = tmp_path / "equipment.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    err = _fails(Files(path, short_files.readings), tmp_path)
    assert str(path) in err
    return err


def test_an_unknown_kind_lists_the_kinds(short_files: Files, tmp_path: Path) -> None:
    err = _equipment_fails(short_files, tmp_path, {**EQUIPMENT, "kind": "ice_machine"})
    assert "kind 'ice_machine'" in err
    assert all(kind.value in err for kind in EquipmentKind)


@pytest.mark.parametrize("refrigerant", ["R744", "R999", "freon"])
def test_an_unsupported_refrigerant_is_refused_clearly(short_files: Files, tmp_path: Path, refrigerant: str) -> None:
    """R744 (CO2) runs transcritical; R999 does not exist; "freon" is not a designation (REGULATION.md (g7))."""
    err = _equipment_fails(short_files, tmp_path, {**EQUIPMENT, "refrigerant": refrigerant})
    assert f"refrigerant {refrigerant!r} cannot be handled" in err


def test_the_refrigerant_name_is_normalised(short_files: Files, tmp_path: Path) -> None:
    path = tmp_path / "equipment.json"
    path.write_text(json.dumps({**EQUIPMENT, "refrigerant": "HFC-404A", "kind": "SHOWCASE_REMOTE"}), encoding="utf-8")
    spec = load_equipment(path)
    assert (spec.refrigerant, spec.kind) == ("R404A", EquipmentKind.SHOWCASE_REMOTE)
    assert spec.cabinet_setpoint_c == 3.0 and str(spec.charge_kg) == "12"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"charge_kg": None}, "charge_kg must be a number"),
        ({"charge_kg": -1}, "charge_kg must be > 0"),
        ({"charge_kg": 0}, "charge_kg must be > 0"),
        ({"charge_kg": "lots"}, "charge_kg must be a number"),
        ({"rated_output_kw": -2}, "rated_output_kw must be >= 0"),
        ({"equipment_id": ""}, "equipment_id must be a non-empty string"),
        ({"cabinet_setpoint_c": "cold"}, "cabinet_setpoint_c must be a number"),
        ({"colour": "white"}, "unknown key(s) colour"),
    ],
)
def test_equipment_values_are_checked_by_key(
    short_files: Files, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    assert message in _equipment_fails(short_files, tmp_path, {**EQUIPMENT, **change})


def test_missing_equipment_keys_are_named(short_files: Files, tmp_path: Path) -> None:
    data = {k: v for k, v in EQUIPMENT.items() if k not in ("charge_kg", "rated_output_kw")}
    assert "missing key(s) charge_kg, rated_output_kw" in _equipment_fails(short_files, tmp_path, data)


def test_the_setpoint_is_optional(tmp_path: Path) -> None:
    path = tmp_path / "equipment.json"
    path.write_text(json.dumps({k: v for k, v in EQUIPMENT.items() if k != "cabinet_setpoint_c"}), encoding="utf-8")
    assert load_equipment(path).cabinet_setpoint_c is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_an_equipment_file_that_is_not_a_json_object_is_refused(short_files: Files, tmp_path: Path, text: str) -> None:
    _equipment_fails(short_files, tmp_path, text)


def test_an_equipment_file_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "equipment.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(EQUIPMENT).encode("utf-8"))
    assert load_equipment(path).equipment_id == "SC-01"


def test_the_equipment_setpoint_stands_in_for_an_empty_setpoint_column(
    short_files: Files, short_lines: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a setpoint the control-change examination (rows a, c, h) and the cabinet excess are blind."""
    index = short_lines[0].split(",").index("cabinet_setpoint_c")
    emptied = [line if n == 0 else ",".join("" if i == index else c for i, c in enumerate(line.split(",")))
               for n, line in enumerate(short_lines)]  # fmt: skip
    path = _write_lines(tmp_path / "r.csv", emptied)
    seen: list[dict[str, np.ndarray]] = []

    class Stop(Exception):
        pass

    def spy(frame: dict[str, np.ndarray], *args: object) -> None:
        seen.append(frame)
        raise Stop

    monkeypatch.setattr(replay_module, "hourly_values", spy)
    with pytest.raises(Stop):
        replay_module.replay(load_equipment(short_files.equipment), load_readings(path), START.timestamp() + 86400.0)
    assert (seen[0]["cabinet_setpoint_c"] == 3.0).all()


# --- the baseline cut-off ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "until", ["2026-03-30T00:00:00+00:00", "2026-04-01T00:00:00+00:00", "2026-04-10T00:00:00+00:00"]
)
def test_a_cut_off_outside_the_readings_is_refused(short_files: Files, tmp_path: Path, until: str) -> None:
    err = _fails(short_files, tmp_path, until=until)
    assert f"--baseline-until {until} must fall inside the readings" in err
    assert "2026-04-01T00:00:00+00:00 .. 2026-04-03T23:55:00+00:00" in err


@pytest.mark.parametrize(("until", "message"), [("2026-04-02T00:00:00", "no UTC offset"), ("tomorrow", "ISO 8601")])
def test_a_cut_off_must_be_a_timestamp_with_offset(
    short_files: Files, tmp_path: Path, until: str, message: str
) -> None:
    err = _fails(short_files, tmp_path, until=until)
    assert "--baseline-until" in err and message in err


def test_too_little_baseline_is_refused_with_what_was_found(short_files: Files, tmp_path: Path) -> None:
    err = _fails(short_files, tmp_path, until="2026-04-01T10:00:00+00:00")
    assert "--baseline-until 2026-04-01T10:00:00+00:00" in err
    assert "at least 24 hours of stable running" in err and "found" in err


def test_a_cut_off_with_another_offset_is_the_same_instant() -> None:
    assert parse_timestamp("2026-04-15T09:00:00+09:00", "x") == parse_timestamp("2026-04-15T00:00:00Z", "x")
    with pytest.raises(ReplayError, match="where: timestamp '2026-04-15' has no UTC offset"):
        parse_timestamp("2026-04-15", "where")


# --- writing alerts ---------------------------------------------------------------------------------------------------


def _event(category: str, status: str = "raised", loss: float | None = None, message: str = "m") -> Event:
    return Event(START.timestamp(), "SC-01", 1, category, status, "high", loss, DETECTOR_NAMES[category], message,
                 None)  # fmt: skip


def test_only_raised_alerts_are_written_and_a_missing_loss_is_blank(tmp_path: Path) -> None:
    events = [
        _event("leak", loss=3.26, message='leak, "quoted"\nsecond line'),
        _event("leak", status="cleared", loss=0.1),
        _event("condenser_fouling"),
        _event("overcharge", loss=math.nan),
    ]
    out = tmp_path / "alerts.csv"
    assert write_alerts(events, out) == 3
    rows = _alerts(out)
    assert [r["category"] for r in rows] == ["leak", "condenser_fouling", "overcharge"]
    assert [r["estimated_charge_loss_pct"] for r in rows] == ["3.3", "", ""]
    assert rows[0]["message"] == 'leak, "quoted"\nsecond line'  # quoted, not split into columns
    assert rows[0]["ts"] == "2026-04-01T00:00:00+00:00"


def test_no_alerts_is_a_header_only_file(tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    assert write_alerts([], out) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [HEADER]
