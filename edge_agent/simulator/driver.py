"""The simulator as an edge-agent driver: readings of a simulated unit up to the caller's clock.

The driver generates a day of steps at a time and returns each step once, when ``now`` has reached it.
Chunks are windows of the same run (``simulate_window``), so values do not depend on how the caller's
reads fall. Accelerated mode is the caller's: it passes a faster clock's ``now``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import AwareDatetime, Field

from edge_agent.drivers.base import DriverError
from edge_agent.reading import Reading
from edge_agent.simulator.run import simulate_window, to_readings
from edge_agent.simulator.scenario import SimulatedUnit

__all__ = ["SimulatorDriver", "SimulatorDriverConfig"]

CHUNK_S = 86400.0


class SimulatorDriverConfig(SimulatedUnit):
    """Driver configuration: ``type: simulator`` plus the fields of a simulated unit.

    Accelerated mode: with ``start`` in the past and ``speed`` N, the simulation runs from ``start`` at N
    simulated seconds per real second until it has caught up with the present, then goes on live.
    """

    type: Literal["simulator"] = "simulator"
    start: AwareDatetime | None = None  # simulated start; default: when the agent starts
    speed: float = Field(default=1.0, ge=1.0, le=1_000_000.0)

    def create_driver(
        self, equipment: str, circuits: tuple[int, ...], sampling_interval_s: float, start: datetime
    ) -> SimulatorDriver:
        """A driver for ``equipment`` reporting ``circuits`` every ``sampling_interval_s`` from ``start``."""
        if not circuits or min(circuits) < 1 or len(set(circuits)) != len(circuits):
            raise ValueError(f"circuits must be distinct numbers >= 1, got {circuits}")
        fields = self.model_dump(exclude={"type", "start", "speed"})
        unit = SimulatedUnit.model_validate({**fields, "circuits": max(self.circuits, *circuits)})
        clock = SimulatedClock(self.start or start, start, self.speed)
        return SimulatorDriver(unit, equipment, tuple(sorted(circuits)), sampling_interval_s, clock.origin, clock)


@dataclass(frozen=True)
class SimulatedClock:
    """Maps the agent's clock to simulated time: `speed` times faster from `origin`, never past real time."""

    origin: datetime  # simulated time at `real_origin`
    real_origin: datetime
    speed: float = 1.0

    def now(self, real_now: datetime) -> datetime:
        return min(real_now, self.origin + (real_now - self.real_origin) * self.speed)


class SimulatorDriver:
    """Implements the ``Driver`` protocol over one simulated unit."""

    def __init__(
        self,
        unit: SimulatedUnit,
        equipment: str,
        circuits: tuple[int, ...],
        interval_s: float,
        start: datetime,
        clock: SimulatedClock | None = None,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError(f"start must be timezone-aware, got {start.isoformat()}")
        self._unit, self._equipment, self._circuits = unit, equipment, circuits
        self._interval_s, self._start = interval_s, start
        self._chunk_steps = max(1, round(CHUNK_S / interval_s))
        self._next_step = 0
        self._chunk: tuple[int, np.ndarray, list[Reading]] | None = None
        self._closed = False
        self._clock = clock

    def read(self, now: datetime) -> list[Reading]:
        """Readings with start <= ts <= now not returned before, oldest first (by circuit within a time)."""
        if self._closed:
            raise DriverError(f"simulator for {self._equipment} is closed")
        if now.tzinfo is None:
            raise DriverError(f"now must be timezone-aware, got {now.isoformat()}")
        if self._clock is not None:
            now = self._clock.now(now)
        elapsed = (now - self._start).total_seconds()
        if elapsed < 0:
            return []
        last = math.floor(elapsed / self._interval_s + 1e-9)
        readings: list[Reading] = []
        while self._next_step <= last:
            chunk = self._next_step // self._chunk_steps
            steps, chunk_readings = self._chunk_readings(chunk)
            end = min(last + 1, (chunk + 1) * self._chunk_steps)
            lo, hi = np.searchsorted(steps, [self._next_step, end])
            width = len(self._circuits)
            readings += chunk_readings[lo * width : hi * width]
            self._next_step = end
        return readings

    def close(self) -> None:
        """Stop the driver; later reads raise ``DriverError``."""
        self._closed = True
        self._chunk = None

    def _chunk_readings(self, chunk: int) -> tuple[np.ndarray, list[Reading]]:
        if self._chunk is None or self._chunk[0] != chunk:
            first = chunk * self._chunk_steps
            window = (first, first + self._chunk_steps)
            result = simulate_window(self._unit, self._equipment, self._start, window, self._interval_s)
            steps = np.flatnonzero(result.present) + first
            self._chunk = (chunk, steps, to_readings(result, self._circuits))
        return self._chunk[1], self._chunk[2]
