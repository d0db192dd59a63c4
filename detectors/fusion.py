"""Fusion and hysteresis: one verdict per circuit and fault category that neither alarms on one noisy hour
nor flaps.

A category is raised when its condition held in ``confirm`` of the last ``window`` hours with data; the first
of those hours is its first-seen time. Once raised it stays raised until the condition has been absent for
``clear`` hours in a row (after a repair, or a fault that went away). Hours without data neither confirm nor
clear: a gap pauses the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONFIRM_HOURS = 6
WINDOW_HOURS = 8
CLEAR_HOURS = 72


@dataclass
class Hysteresis:
    confirm: int = CONFIRM_HOURS
    window: int = WINDOW_HOURS
    clear: int = CLEAR_HOURS
    hours: list[float] = field(default_factory=list)  # start of the last `window` hours with data
    seen: list[bool] = field(default_factory=list)  # the condition in each of them
    raised: bool = False
    first_seen: float | None = None
    absent_for: int = 0

    def update(self, hour_s: float, condition: bool) -> str | None:
        """Feed one hour with data; returns "raised" or "cleared" on a change, else None."""
        self.hours = [*self.hours[-(self.window - 1) :], hour_s]
        self.seen = [*self.seen[-(self.window - 1) :], condition]
        if not self.raised:
            if sum(self.seen) >= self.confirm:
                first = next(h for h, held in zip(self.hours, self.seen, strict=True) if held)
                self.raised, self.first_seen, self.absent_for = True, first, 0
                return "raised"
            return None
        self.absent_for = 0 if condition else self.absent_for + 1
        if self.absent_for >= self.clear:
            self.raised, self.first_seen, self.seen, self.hours = False, None, [], []
            return "cleared"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "confirm": self.confirm,
            "window": self.window,
            "clear": self.clear,
            "hours": self.hours,
            "seen": self.seen,
            "raised": self.raised,
            "first_seen": self.first_seen,
            "absent_for": self.absent_for,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hysteresis:
        return cls(confirm=int(data["confirm"]), window=int(data["window"]), clear=int(data["clear"]),
                   hours=list(data["hours"]), seen=list(data["seen"]), raised=bool(data["raised"]),
                   first_seen=data["first_seen"], absent_for=int(data["absent_for"]))  # fmt: skip
