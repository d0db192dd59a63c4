"""The indirect-method checklist (REGULATION.md (c), indirect_checks.csv) as data the detectors evaluate.

Each judged row says which value to watch, which way it moves when refrigerant leaks, and which other cause
must be ruled out before a leak is suspected. Input-only rows (Ts, Td, Te, Tc, air and water temperatures) have
no judgment of their own; they feed the derived rows.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files

# checklist key (indirect_checks.csv) -> the telemetry channel or derived value (detectors/derived.py) it reads
SOURCE = {
    "suction_pressure": "suction_pressure_mpag",
    "discharge_pressure": "discharge_pressure_mpag",
    "discharge_gas_temperature": "discharge_temp_c",
    "compressor_motor_voltage": "compressor_voltage_v",
    "compressor_motor_current": "compressor_current_a",
    "superheat": "superheat_k",
    "subcooling": "subcooling_k",
    "compressor_overheat": "compressor_shell_temp_c",
    "air_temperature_difference": "air_dt_k",
    "chilled_water_temperature_difference": "water_dt_k",
    "pipe_vibration": "vibration_mm_s",
    "sight_glass_bubbles": "sight_glass_bubbles",
    "refrigerant_liquid_level": "receiver_level_pct",
    "purge_count": "purge_count",
}
# derived values and the channels they need
DERIVED_FROM = {
    "superheat_k": ("suction_temp_c", "suction_pressure_mpag"),
    "subcooling_k": ("liquid_temp_c", "discharge_pressure_mpag"),
    "air_dt_k": ("air_in_temp_c", "air_out_temp_c"),
    "water_dt_k": ("chw_in_temp_c", "chw_out_temp_c"),
}


class Direction(StrEnum):
    LOW = "low"
    HIGH = "high"
    PRESENCE = "presence"


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    japanese_name: str
    direction: Direction
    rule_out: str  # the cause to exclude first (checklist column "not caused by"), empty if none listed
    source: str  # channel key or derived value

    def is_leak_like(self, observed: float, expected: float, tolerance: float) -> bool:
        """Whether `observed` departs from `expected` by more than `tolerance` in the leak's direction."""
        if self.direction is Direction.LOW:
            return observed < expected - tolerance
        if self.direction is Direction.HIGH:
            return observed > expected + tolerance
        return observed > 0.5  # presence: bubbles seen, abnormal vibration present


@cache
def checklist() -> tuple[ChecklistItem, ...]:
    """The judged rows of the checklist, in its order."""
    text = files("fluorowatch.domain").joinpath("data/indirect_checks.csv").read_text(encoding="utf-8")
    items = []
    for row in csv.DictReader(text.splitlines()):
        if not row["abnormal_direction"]:
            continue  # an input-only row
        rule_out = "" if row["excluded_explanation"].startswith("none") else row["excluded_explanation"]
        items.append(ChecklistItem(row["key"], row["japanese_name"], Direction(row["abnormal_direction"]), rule_out,
                                   SOURCE[row["key"]]))  # fmt: skip
    return tuple(items)


# rows j (liquid level) and the purge count: per seed [001], turbo chillers on a low-pressure refrigerant only
LOW_PRESSURE_TURBO_ROWS = frozenset({"refrigerant_liquid_level", "purge_count"})


def applicable(channels: Collection[str], low_pressure_turbo: bool = False) -> tuple[ChecklistItem, ...]:
    """The rows a unit reporting `channels` can be judged on (a unit without a sight glass has no row i; a
    receiver level is a checklist row only on a low-pressure turbo chiller, REGULATION.md (c) row j)."""
    available = set(channels)
    return tuple(
        item
        for item in checklist()
        if set(DERIVED_FROM.get(item.source, (item.source,))) <= available
        and (low_pressure_turbo or item.key not in LOW_PRESSURE_TURBO_ROWS)
    )
