"""CSV replay driver: plays back a readings CSV in the replay format of issue 5.

Format: column `ts` (ISO 8601 with offset) then any subset of the channel keys of channels.csv, empty cell =
missing, rows in time order. The file is streamed row by row, never loaded whole.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from edge_agent.drivers.base import DriverError
from edge_agent.reading import ChannelValue, Reading
from fluorowatch.domain.channels import Channel, ChannelType, channel

_FLAGS = {"0": False, "1": True, "false": False, "true": True}


class CsvReplayDriverConfig(BaseModel):
    """Replay of a readings CSV. `original`: a row is due when its own ts <= now. `rebase`: the first row is
    moved to the driver's start and the intervals kept, so the file plays as if it were happening now; `loop`
    then starts over after the last row, one sampling interval later. A relative `path` is taken from the
    validation context `config_dir` (the agent config's directory) when given."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["csv_replay"]
    path: Path
    timing: Literal["original", "rebase"] = "original"
    loop: bool = False
    max_rows_per_read: int = Field(default=10_000, ge=1)  # bounds one read's memory when a long backlog is due

    @field_validator("path")
    @classmethod
    def _relative_to_config(cls, path: Path, info: ValidationInfo) -> Path:
        config_dir = (info.context or {}).get("config_dir")
        return Path(config_dir) / path if config_dir else path

    @model_validator(mode="after")
    def _loop_needs_rebase(self) -> Self:
        if self.loop and self.timing != "rebase":
            raise ValueError("`loop` needs `timing: rebase` (original timestamps cannot repeat)")
        return self

    def create_driver(
        self, equipment: str, circuits: tuple[int, ...], sampling_interval_s: float, start: datetime
    ) -> CsvReplayDriver:
        """Opens the file and checks its header: `DriverError` naming the file, line and bad column."""
        if not circuits:
            raise ValueError(f"{equipment}: no circuit to replay into")
        if self.loop and sampling_interval_s <= 0:
            raise ValueError("a looping replay needs a positive sampling interval")
        shift = timedelta(0) if self.timing == "original" else None
        return CsvReplayDriver(
            self.path,
            equipment,
            circuits[0],
            shift=shift,
            start=start,
            loop_gap=timedelta(seconds=sampling_interval_s) if self.loop else None,
            max_rows=self.max_rows_per_read,
        )


class CsvReplayDriver:
    """Returns the due rows not yet returned, oldest first. A malformed row raises `DriverError` naming the file
    and line once, is counted in `skipped_rows`, and the next `read` carries on after it."""

    def __init__(
        self,
        path: Path,
        equipment: str,
        circuit: int,
        *,
        shift: timedelta | None,
        start: datetime,
        loop_gap: timedelta | None,
        max_rows: int,
    ) -> None:
        self._path, self._equipment, self._circuit = path, equipment, circuit
        self._shift, self._start, self._loop_gap, self._max_rows = shift, start, loop_gap, max_rows
        try:
            # utf-8-sig drops a spreadsheet's byte-order mark; undecodable bytes become U+FFFD, so that the row
            # holding them fails to parse and is reported with its line instead of stopping the whole replay
            self._file = path.open(encoding="utf-8-sig", errors="replace", newline="")
        except OSError as exc:
            raise DriverError(f"cannot open replay file {path}: {exc}") from exc
        self._rows = csv.reader(self._file)
        try:
            self._header = self._read_header()
        except DriverError:
            self._file.close()
            raise
        self._columns = tuple(channel(key) for key in self._header[1:])
        self._pending: Reading | None = None
        self._deferred: DriverError | None = None
        self._first_ts: datetime | None = None
        self._last_ts: datetime | None = None
        self._rows_this_pass = 0
        self.skipped_rows = 0

    def read(self, now: datetime) -> list[Reading]:
        if self._deferred is not None:
            error, self._deferred = self._deferred, None
            raise error
        due: list[Reading] = []
        while len(due) < self._max_rows:
            try:
                reading = self._next()
            except DriverError as error:
                self.skipped_rows += 1
                if not due:
                    raise
                self._deferred = error  # hand back the good rows read before it first; raise on the next call
                break
            if reading is None:
                break
            if reading.ts > now:
                self._pending = reading
                break
            due.append(reading)
        return due

    def close(self) -> None:
        self._file.close()

    def _read_header(self) -> list[str]:
        header = next(self._rows, None)
        if not header or header[0].strip() != "ts":
            found = repr(header[0]) if header else "no header"
            raise DriverError(f"{self._path} line 1: the first column must be `ts`, found {found}")
        keys = [cell.strip() for cell in header]
        for key in keys[1:]:
            try:
                channel(key)
            except KeyError:
                problem = f"unknown column {key!r} (not a channel key of channels.csv)"
                raise DriverError(f"{self._path} line 1: {problem}") from None
        if len(set(keys)) != len(keys):
            raise DriverError(f"{self._path} line 1: a column appears twice")
        return keys

    def _next(self) -> Reading | None:
        """The next reading of the file (looping if asked), or None at its end."""
        if self._pending is not None:
            reading, self._pending = self._pending, None
            return reading
        while True:
            try:
                row = next(self._rows, None)
            except csv.Error as exc:
                raise self._bad(str(exc)) from exc
            if row is None:
                if not self._rewind():
                    return None
            elif any(cell.strip() for cell in row):
                return self._parse(row)

    def _parse(self, row: list[str]) -> Reading:
        if len(row) != len(self._header):
            raise self._bad(f"{len(row)} cells, the header has {len(self._header)}")
        try:
            ts = parse_ts(row[0])
            cells = zip(self._columns, row[1:], strict=True)
            values = {column.key: parse_value(column, cell) for column, cell in cells}
        except ValueError as exc:
            raise self._bad(str(exc)) from exc
        if self._last_ts is not None and ts < self._last_ts:
            raise self._bad(f"ts {row[0]} is earlier than the row before it (rows must be in time order)")
        if self._shift is None:
            self._shift = self._start - ts
        self._first_ts = self._first_ts or ts
        self._last_ts = ts
        self._rows_this_pass += 1
        return Reading(self._equipment, self._circuit, ts + self._shift, values)

    def _rewind(self) -> bool:
        """At the end of the file: start over when looping (and the pass produced rows); False otherwise."""
        first, last, shift = self._first_ts, self._last_ts, self._shift
        if self._loop_gap is None or not self._rows_this_pass or first is None or last is None or shift is None:
            return False
        self._shift = shift + (last - first) + self._loop_gap
        self._last_ts, self._rows_this_pass = None, 0
        self._file.seek(0)
        self._rows = csv.reader(self._file)
        if self._read_header() != self._header:
            raise DriverError(f"{self._path} line 1: the header changed during the replay")
        return True

    def _bad(self, problem: str) -> DriverError:
        return DriverError(f"{self._path} line {self._rows.line_num}: {problem}; row skipped")


def parse_ts(text: str) -> datetime:
    """An ISO 8601 timestamp with its UTC offset, as UTC."""
    ts = datetime.fromisoformat(text.strip())
    if ts.tzinfo is None:
        raise ValueError(f"ts {text!r} has no UTC offset")
    return ts.astimezone(UTC)


def parse_value(column: Channel, cell: str) -> ChannelValue:
    """A cell as its channel's type: 0/1 -> bool, count -> int, else float; empty -> None (missing)."""
    text = cell.strip()
    if not text:
        return None
    kind = column.type
    if kind is ChannelType.FLAG:
        if text.lower() not in _FLAGS:
            raise ValueError(f"{column.key}={text!r} is not 0 or 1")
        return _FLAGS[text.lower()]
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{column.key}={text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{column.key}={text!r} is not a finite number")
    if kind is ChannelType.COUNT:
        if not number.is_integer() or number < 0:
            raise ValueError(f"{column.key}={text!r} is not a whole count")
        return int(number)
    return number
