"""The indirect-method checklist judged hour by hour (REGULATION.md (c), indirect_checks.csv).

Each judged row compares the observed value with the baseline's expected value; it is a finding when it
departs in the row's leak direction by more than ``Z_FINDING`` spreads. Before it counts as leak-like, the
cause the checklist says to rule out is examined, and so is defrost (masked from the stable-run values):

* control change (制御による変化): a setpoint outside the learned range or changed in the last day;
* blockage / expansion valve (冷媒系統のつまり・膨張弁の故障): superheat high while the liquid is all there
  (subcooling and receiver level not low) — the refrigerant is held back, not missing;
* extremely small heat load (熱負荷が極端に小さい, rows g/h): the unit runs far less than usual or the cabinet
  sits below its usual temperature. REGULATION.md (c) notes a second version of the seed reading "large";
  the small-load reading is the one that lowers a temperature difference, so it is the one applied;
* extremely large heat load (熱負荷が極端に大きい, row i): the cabinet well above usual with plenty of liquid
  (subcooling not low). The pull-down after a defrost is not examined yet: ``HourContext.defrost_share`` is the
  share of the hour outside stable running (stops and start-ups included), not of defrost alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from detectors.checklist import ChecklistItem, Direction

Z_FINDING = 3.0
Z_CLEARLY = 2.0


class Explanation(StrEnum):
    CONTROL_CHANGE = "control change"
    BLOCKAGE = "blockage or expansion-valve failure"
    SMALL_LOAD = "extremely small heat load"
    LARGE_LOAD = "extremely large heat load"
    DEFROST = "defrost"


@dataclass(frozen=True)
class HourContext:
    """What the examinations look at, for one hour. z values are smoothed residuals in spreads (NaN = unknown)."""

    setpoint_c: float
    learned_setpoints: tuple[float, float]  # range seen while the baseline was learned
    setpoint_changed_within_day: bool
    defrost_share: float  # share of the hour's readings masked for defrost
    z: Mapping[str, float]
    duty: float
    learned_duty: float
    ambient_c: float = float("nan")

    def zv(self, key: str) -> float:
        value = self.z.get(key, float("nan"))
        return 0.0 if value != value else value


@dataclass(frozen=True)
class Examination:
    explanation: Explanation
    holds: bool
    detail: str


@dataclass(frozen=True)
class Finding:
    """One checklist row departing from its baseline in the leak's direction."""

    item: ChecklistItem
    observed: float
    expected: float
    z: float
    examined: tuple[Examination, ...]

    @property
    def leak_like(self) -> bool:
        """True unless an examined alternative explains the departure."""
        return not any(e.holds for e in self.examined if e.explanation is not Explanation.DEFROST)

    def describe(self) -> str:
        ruled = "; ".join(f"{e.explanation}: {'yes' if e.holds else 'no'} ({e.detail})" for e in self.examined)
        return (
            f"{self.item.japanese_name} ({self.item.key}) {self.item.direction}: observed {self.observed:.3g}, "
            f"expected {self.expected:.3g} ({self.z:+.1f} σ); examined: {ruled}"
        )


def judge(item: ChecklistItem, observed: float, expected: float, z: float, ctx: HourContext) -> Finding | None:
    """A finding for ``item`` when its smoothed departure ``z`` is in the leak direction, else None (also for an
    unknown departure: NaN compares false either way, so it must not fall through to a finding)."""
    if math.isnan(z):
        return None
    if item.direction is Direction.LOW and z > -Z_FINDING:
        return None
    if item.direction in (Direction.HIGH, Direction.PRESENCE) and z < Z_FINDING:
        return None
    return Finding(item, observed, expected, z, examinations(item, ctx))


def examinations(item: ChecklistItem, ctx: HourContext) -> tuple[Examination, ...]:
    """The row's own cause to rule out (checklist column "not caused by"), then defrost."""
    rule_out = item.rule_out
    found = []
    if "制御" in rule_out:
        found.append(control_change(ctx))
    if "つまり" in rule_out:
        found.append(_blockage(ctx))
    if "熱負荷が極端に小さい" in rule_out:
        found.append(_small_load(ctx))
    elif "熱負荷が極端に大きい" in rule_out:
        found.append(_large_load(ctx))
    found.append(Examination(Explanation.DEFROST, False, f"{ctx.defrost_share:.0%} of the hour masked for defrost"))
    return tuple(found)


def control_change(ctx: HourContext) -> Examination:
    low, high = ctx.learned_setpoints
    outside = not (low - 0.5 <= ctx.setpoint_c <= high + 0.5)
    holds = outside or ctx.setpoint_changed_within_day
    detail = f"setpoint {ctx.setpoint_c:.1f} °C, learned {low:.1f}..{high:.1f} °C"
    if ctx.setpoint_changed_within_day:
        detail += ", changed within the last day"
    return Examination(Explanation.CONTROL_CHANGE, holds, detail)


def _blockage(ctx: HourContext) -> Examination:
    liquid_short = ctx.zv("subcooling_k") <= -Z_CLEARLY or ctx.zv("receiver_level_pct") <= -Z_CLEARLY
    holds = ctx.zv("superheat_k") >= Z_FINDING and not liquid_short
    detail = (
        f"superheat {ctx.zv('superheat_k'):+.1f} σ, subcooling {ctx.zv('subcooling_k'):+.1f} σ, "
        f"receiver level {ctx.zv('receiver_level_pct'):+.1f} σ"
    )
    return Examination(Explanation.BLOCKAGE, holds, detail)


def _small_load(ctx: HourContext) -> Examination:
    runs_little = ctx.learned_duty > 0 and ctx.duty < 0.3 * ctx.learned_duty
    holds = runs_little or ctx.zv("cabinet_excess_k") <= -Z_FINDING
    detail = f"duty {ctx.duty:.0%} vs learned {ctx.learned_duty:.0%}, cabinet {ctx.zv('cabinet_excess_k'):+.1f} σ"
    return Examination(Explanation.SMALL_LOAD, holds, detail)


def _large_load(ctx: HourContext) -> Examination:
    holds = ctx.zv("cabinet_excess_k") >= Z_FINDING and ctx.zv("subcooling_k") > -Z_CLEARLY
    detail = f"cabinet {ctx.zv('cabinet_excess_k'):+.1f} σ, subcooling {ctx.zv('subcooling_k'):+.1f} σ"
    return Examination(Explanation.LARGE_LOAD, holds, detail)
