"""The detector of one refrigerant circuit, hour by hour: the same code for replay, streaming and the daily
diagnosis. It is strictly causal (hour h uses hours <= h only) and carries its state between calls, so it can
be fed a day, an hour or a year at a time and give the same result.

Per hour: departures from the baseline (in spreads) are smoothed; the charge estimate is read from the liquid
inventory; a CUSUM accumulates the buffer's fall. A leak is suspected when the CUSUM has crossed, the lower
bound of the estimate is above ``LEAK_MIN_PCT``, and the liquid-side evidence is not better explained by
another fault. Each category then passes the hysteresis of detectors/fusion.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from detectors.charge import charge_lost_pct, charge_sigma_pct, leak_rate, loss_per_day
from detectors.checklist import ChecklistItem, applicable
from detectors.derived import FloatArray
from detectors.features import HourlyValues
from detectors.fusion import Hysteresis
from detectors.model import CircuitModel
from detectors.rules import Finding, HourContext, control_change, judge
from detectors.smoothing import HALF_LIFE_CHARGE_H, HALF_LIFE_VALUES_H, Cusum, Ewma
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.refrigerants import RefrigerantRegistry
from fluorowatch.domain.saturation import is_low_pressure

LEAK_MIN_PCT = 2.0  # lower bound of the estimate that a leak suspicion needs (% of the proper charge)
CUSUM_K = 1.0  # in hourly spreads of the buffer share
CUSUM_H = 24.0
Z_FAULT = 4.0
FOULING_APPROACH_K = 3.0  # condensing approach above its baseline
ICING_GAP_K = 2.0  # evaporator medium-to-Te gap above its baseline
SENSOR_K = 1.0
CORROBORATION_Z = 2.0
WEATHER_MARGIN_K = 3.0  # controller's saturation temperature vs ours from its pressure
RATE_WINDOW_H = 168
CATEGORIES = ("leak", "condenser_fouling", "evaporator_icing", "overcharge", "sensor_drift", "other_fault")
DETECTOR_NAMES = {
    "leak": "charge-estimate+cusum",
    "condenser_fouling": "rules:condenser",
    "evaporator_icing": "rules:evaporator",
    "overcharge": "charge-estimate",
    "sensor_drift": "rules:sensor-consistency",
    "other_fault": "novelty:mcd",
}
INDICATOR_NAMES = {"receiver_level_pct": "the receiver level", "subcooling_k": "subcooling"}
Expected = dict[str, tuple[FloatArray, FloatArray]]  # value -> (expected, spread) per hour
SEVERITY = {"condenser_fouling": "medium", "evaporator_icing": "medium", "overcharge": "medium",
            "sensor_drift": "low", "other_fault": "low"}  # fmt: skip


@dataclass(frozen=True)
class EquipmentSpec:
    """What the detectors need to know of a unit (the replay contract's EQUIPMENT.json)."""

    equipment_id: str
    kind: EquipmentKind
    refrigerant: str
    charge_kg: Decimal
    rated_output_kw: Decimal | None = None
    cabinet_setpoint_c: float | None = None


@dataclass(frozen=True)
class Event:
    """A category raised or cleared for a circuit; ``ts`` is when the detector decided (epoch seconds)."""

    ts: float
    equipment_id: str
    circuit: int
    category: str
    status: str  # raised | cleared
    severity: str
    estimated_charge_loss_pct: float | None
    detector: str
    message: str
    first_seen: float | None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class HourVerdict:
    hour_s: float
    has_data: bool
    lost_pct: float
    sigma_pct: float
    conditions: tuple[str, ...]  # categories whose condition held this hour
    findings: tuple[Finding, ...]


@dataclass
class CircuitState:
    last_hour_s: float = -math.inf
    smoothed: dict[str, Ewma] = field(default_factory=dict)
    share: Ewma = field(default_factory=lambda: Ewma(HALF_LIFE_CHARGE_H))
    cusum: Cusum = field(default_factory=lambda: Cusum(CUSUM_K))
    verdicts: dict[str, Hysteresis] = field(default_factory=lambda: {c: _hysteresis(c) for c in CATEGORIES})
    setpoint: float = math.nan
    setpoint_changed_at: float = -math.inf
    recent_loss: list[tuple[float, float]] = field(default_factory=list)  # (hour, lost %) for the leak rate

    def to_json(self) -> dict[str, Any]:
        return {
            "last_hour_s": self.last_hour_s if math.isfinite(self.last_hour_s) else None,
            "smoothed": {k: _num(e.value) for k, e in self.smoothed.items()},
            "share": _num(self.share.value),
            "cusum": self.cusum.value,
            "verdicts": {k: h.to_json() for k, h in self.verdicts.items()},
            "setpoint": _num(self.setpoint),
            "setpoint_changed_at": self.setpoint_changed_at if math.isfinite(self.setpoint_changed_at) else None,
            "recent_loss": self.recent_loss,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CircuitState:
        def num(value: float | None, default: float = math.nan) -> float:
            return default if value is None else float(value)

        return cls(
            last_hour_s=num(data["last_hour_s"], -math.inf),
            smoothed={k: Ewma(HALF_LIFE_VALUES_H, num(v)) for k, v in data["smoothed"].items()},
            share=Ewma(HALF_LIFE_CHARGE_H, num(data["share"])),
            cusum=Cusum(CUSUM_K, float(data["cusum"])),
            verdicts={k: Hysteresis.from_json(v) for k, v in data["verdicts"].items()},
            setpoint=num(data["setpoint"]),
            setpoint_changed_at=num(data["setpoint_changed_at"], -math.inf),
            recent_loss=[(float(h), float(v)) for h, v in data["recent_loss"]],
        )


def _hysteresis(category: str) -> Hysteresis:
    """An unexplained departure or a drifting sensor must last a day before it is worth a visit; faults that
    cost refrigerant or cooling confirm within hours."""
    return Hysteresis(confirm=24, window=30) if category in ("other_fault", "sensor_drift") else Hysteresis()


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Outcome:
    events: list[Event]
    verdicts: list[HourVerdict]


class CircuitDetector:
    def __init__(
        self,
        spec: EquipmentSpec,
        model: CircuitModel,
        circuit: int = 1,
        state: CircuitState | None = None,
        registry: RefrigerantRegistry | None = None,
    ) -> None:
        self.spec, self.model, self.circuit = spec, model, circuit
        self.state = state or CircuitState()
        self.registry = registry or RefrigerantRegistry.default()
        self.items: tuple[ChecklistItem, ...] = ()
        self._low_pressure_turbo = spec.kind is EquipmentKind.TURBO_CHILLER and is_low_pressure(spec.refrigerant)

    def process(self, hourly: HourlyValues) -> Outcome:
        """Feed the hours after the last one seen (earlier hours are ignored: a replayed day is harmless)."""
        self.items = applicable(hourly.channels, low_pressure_turbo=self._low_pressure_turbo)
        start = int(np.searchsorted(hourly.hour_s, self.state.last_hour_s, side="right"))
        if start >= len(hourly):
            return Outcome([], [])
        hours = hourly.slice(start, len(hourly))
        baseline = self.model.baseline
        expected = baseline.expected_with_spread(hours)
        events: list[Event] = []
        verdicts: list[HourVerdict] = []
        for i in range(len(hours)):
            verdict = self._hour(hours, expected, i, events)
            verdicts.append(verdict)
        return Outcome(events, verdicts)

    def _hour(self, hours: HourlyValues, expected: Expected, i: int, events: list[Event]) -> HourVerdict:
        state, model = self.state, self.model
        hour_s = float(hours.hour_s[i])
        state.last_hour_s = hour_s
        self._track_setpoint(hour_s, float(hours.values["cabinet_setpoint_c"][i]))
        if hours.stable[i] == 0:
            return HourVerdict(hour_s, False, math.nan, math.nan, (), ())
        z = {}
        for key, (mean, spread) in expected.items():
            raw = (float(hours.values[key][i]) - float(mean[i])) / float(spread[i])
            smoothed = state.smoothed.setdefault(key, Ewma(HALF_LIFE_VALUES_H)).update(raw)
            z[key] = smoothed / model.smoothed_sigma.get(key, 1.0)
        lost, sigma, share_now = self._charge(hours, expected, i)
        ctx = self._context(hours, i, z)
        findings = self._findings(hours, expected, i, z, ctx)
        conditions = self._conditions(z, lost, sigma, share_now, ctx)
        holding = set(conditions)
        if math.isfinite(lost) and lost - 2.0 * sigma >= 0.5 * LEAK_MIN_PCT:
            holding.add("leak")  # a raised leak stays until the charge is back: leaks do not heal by themselves
        for category in CATEGORIES:
            verdict = state.verdicts[category]
            change = verdict.update(hour_s, category in (holding if verdict.raised else conditions))
            if change is not None:
                events.append(self._event(category, change, hour_s, lost, sigma, z, findings))
        events.extend(self._supersede_unexplained(hour_s))
        return HourVerdict(hour_s, True, lost, sigma, tuple(sorted(conditions)), tuple(findings))

    def _supersede_unexplained(self, hour_s: float) -> list[Event]:
        """An `other_fault` raised while a named fault was building is explained once that fault is raised:
        one fault, one open alert."""
        verdicts = self.state.verdicts
        named = [c for c in CATEGORIES if c != "other_fault" and verdicts[c].raised]
        if not named or not verdicts["other_fault"].raised:
            return []
        verdicts["other_fault"] = _hysteresis("other_fault")
        message = f"other fault explained by {named[0].replace('_', ' ')}"
        return [Event(hour_s + 3600.0, self.spec.equipment_id, self.circuit, "other_fault", "cleared", "info", None,
                      DETECTOR_NAMES["other_fault"], message, None)]  # fmt: skip

    def _track_setpoint(self, hour_s: float, setpoint: float) -> None:
        if not math.isfinite(setpoint):
            return
        if math.isfinite(self.state.setpoint) and abs(setpoint - self.state.setpoint) > 0.25:
            self.state.setpoint_changed_at = hour_s
        self.state.setpoint = setpoint

    def _charge(self, hours: HourlyValues, expected: Expected, i: int) -> tuple[float, float, float]:
        model, state = self.model, self.state
        key = model.prior.indicator
        if key not in expected:
            return math.nan, math.nan, math.nan
        exp, spread = float(expected[key][0][i]), float(expected[key][1][i])
        share_now = -(float(hours.values[key][i]) - exp) / max(exp, 0.5)
        share = state.share.update(share_now)
        widened = spread / model.baseline.models[key].sigma
        cusum_step = share_now / (model.buffer_sigma_hourly * widened) if math.isfinite(share_now) else math.nan
        state.cusum.update(cusum_step)
        sh = state.smoothed.get("superheat_k")
        sh_k = (sh.value if sh is not None and math.isfinite(sh.value) else 0.0) * self._sigma("superheat_k")
        lost = float(charge_lost_pct(model.prior, np.array([share]), np.array([sh_k]))[0])
        sigma = float(charge_sigma_pct(model.prior, np.array([lost]), np.array([model.buffer_sigma_smoothed]))[0])
        if math.isfinite(lost):
            state.recent_loss = [*state.recent_loss[-(RATE_WINDOW_H - 1) :], (float(hours.hour_s[i]), lost)]
        return lost, sigma, share_now

    def _sigma(self, key: str) -> float:
        m = self.model.baseline.models.get(key)
        return m.sigma if m is not None else 1.0

    def _context(self, hours: HourlyValues, i: int, z: dict[str, float]) -> HourContext:
        hour_s = float(hours.hour_s[i])
        return HourContext(
            setpoint_c=float(np.nan_to_num(hours.values["cabinet_setpoint_c"][i], nan=self.model.setpoints[0])),
            learned_setpoints=self.model.setpoints,
            setpoint_changed_within_day=hour_s - self.state.setpoint_changed_at < 86400.0,
            defrost_share=float(np.nan_to_num(hours.values["defrost_share"][i])),
            z=z,
            duty=float(np.nan_to_num(hours.values["duty"][i], nan=self.model.duty)),
            learned_duty=self.model.duty,
            ambient_c=float(hours.values["ambient_temp_c"][i]),
        )

    def _findings(
        self, hours: HourlyValues, expected: Expected, i: int, z: dict[str, float], ctx: HourContext
    ) -> list[Finding]:
        findings = []
        for item in self.items:
            if item.source == "sight_glass_bubbles":
                observed, exp = float(hours.values[item.source][i]), self.model.bubble_share
                departure = (observed - exp) / 0.05 if math.isfinite(observed) else math.nan
            elif item.source == "purge_count":
                observed, exp = float(hours.values[item.source][i]), self.model.purge_per_hour
                departure = (observed - exp) / math.sqrt(exp + 1.0) if math.isfinite(observed) else math.nan
            elif item.source in z:
                observed, exp, departure = (
                    float(hours.values[item.source][i]),
                    float(expected[item.source][0][i]),
                    z[item.source],
                )
            else:
                continue
            if not math.isfinite(departure):
                continue
            finding = judge(item, observed, exp, departure, ctx)
            if finding is not None:
                findings.append(finding)
        return findings

    def _conditions(
        self, z: dict[str, float], lost: float, sigma: float, share_now: float, ctx: HourContext
    ) -> set[str]:
        def zv(key: str) -> float:
            value = z.get(key, math.nan)
            return value if math.isfinite(value) else 0.0

        conditions = set()
        blocked = zv("superheat_k") >= Z_FAULT and zv("subcooling_k") > -2.0 and zv("receiver_level_pct") > -2.0
        liquid_short = math.isfinite(lost) and self.state.cusum.value >= CUSUM_H and lost - 2.0 * sigma >= LEAK_MIN_PCT
        if liquid_short and not blocked and self._corroborated(z):
            conditions.add("leak")
        elif (
            liquid_short
            and not blocked
            and not self.state.verdicts["leak"].raised
            and lost - 2.0 * sigma >= 2.0 * LEAK_MIN_PCT
            and self._lone_indicator(z)
        ):
            conditions.add("sensor_drift")
        if self._departs("cond_approach_k", z, FOULING_APPROACH_K) and zv("discharge_pressure_mpag") >= 0.0:
            conditions.add("condenser_fouling")
        iced = self._departs("evap_gap_k", z, ICING_GAP_K) and zv("superheat_k") < 2.0 and zv("air_dt_k") <= 0.0
        if iced and "leak" not in conditions:
            conditions.add("evaporator_icing")
        if math.isfinite(lost) and lost + 2.0 * sigma <= -LEAK_MIN_PCT:
            conditions.add("overcharge")
        if self._departs("te_check_k", z, SENSOR_K, both=True) or self._departs("tc_check_k", z, SENSOR_K, both=True):
            conditions.add("sensor_drift")
        leak_like = math.isfinite(share_now) and self.state.cusum.value > 0.5 * CUSUM_H
        controlled = control_change(ctx).holds
        named = any(v.raised for c, v in self.state.verdicts.items() if c != "other_fault")
        judged = not leak_like and not controlled and not named and self._within_learned_weather(ctx.ambient_c)
        if not conditions and judged and self._novel(z):
            conditions.add("other_fault")
        return conditions

    def _corroborated(self, z: dict[str, float]) -> bool:
        """One liquid-side value alone is not enough: each can move for another reason.

        * Subcooling as the indicator (no receiver): it also falls when the liquid-line sensor drifts warm. The
          condenser must agree: the liquid it no longer holds frees condensing area, so the approach falls.
        * Receiver level as the indicator: head-pressure control in cold weather holds liquid back in the
          condenser, and level sensors drift. Subcooling must fall with it (the liquid seal thins); flooding
          raises subcooling instead.
        Late in a leak the starving evaporator's superheat climbs, which corroborates either."""
        if z.get("superheat_k", 0.0) >= CORROBORATION_Z:
            return True
        if self.model.prior.indicator == "subcooling_k":
            return "cond_approach_k" not in z or z["cond_approach_k"] <= -CORROBORATION_Z
        return "subcooling_k" not in z or z["subcooling_k"] <= -CORROBORATION_Z

    def _lone_indicator(self, z: dict[str, float]) -> bool:
        """The charge indicator moved and nothing else did: its own sensor, most likely (a liquid-line
        thermometer reading warm, a level sensor drifting). Subcooling rising while the level falls is not
        this: that is liquid held back in the condenser by head-pressure control."""
        others = ("cond_approach_k",) if self.model.prior.indicator == "subcooling_k" else ("subcooling_k",)
        return all(abs(z.get(key, 0.0)) < 1.0 for key in others)

    def _departs(self, key: str, z: dict[str, float], at_least: float, both: bool = False) -> bool:
        """Whether the smoothed departure of ``key`` is both significant (``Z_FAULT``) and large in its own
        unit (``at_least``): a fault worth a visit, not a weather pattern the baseline has not seen."""
        value = self.state.smoothed.get(key)
        model = self.model.baseline.models.get(key)
        if value is None or model is None or not math.isfinite(value.value) or not math.isfinite(z.get(key, math.nan)):
            return False
        size = value.value * model.sigma
        if both:
            return abs(z[key]) >= Z_FAULT and abs(size) >= at_least
        return z[key] >= Z_FAULT and size >= at_least

    def _within_learned_weather(self, ambient: float) -> bool:
        """Whether the hour's ambient lies near the range the baseline was learned in. Outside it, "unlike
        anything seen while healthy" is true of the season, not of the unit; the named rules still run."""
        low, high = self.model.baseline.x_low[0], self.model.baseline.x_high[0]
        return not math.isfinite(ambient) or low - WEATHER_MARGIN_K <= ambient <= high + WEATHER_MARGIN_K

    def _novel(self, z: dict[str, float]) -> bool:
        novelty = self.model.novelty
        if novelty is None:
            return False
        vector = np.array([z.get(k, math.nan) for k in novelty.keys])
        if not np.isfinite(vector).all() or np.abs(vector).max() < Z_FAULT:
            return False  # an unusual mix of small departures is not yet a fault worth a visit
        return novelty.distance2(vector) > novelty.threshold

    def _event(
        self,
        category: str,
        change: str,
        hour_s: float,
        lost: float,
        sigma: float,
        z: dict[str, float],
        findings: list[Finding],
    ) -> Event:
        decided = hour_s + 3600.0  # the hour is judged when it has ended
        first_seen = self.state.verdicts[category].first_seen
        loss = round(lost, 1) if math.isfinite(lost) else None
        if change == "cleared":
            message = f"{category.replace('_', ' ')} no longer indicated for {CLEAR_TEXT}"
            return Event(decided, self.spec.equipment_id, self.circuit, category, "cleared", "info", loss,
                         DETECTOR_NAMES[category], message, None)  # fmt: skip
        evidence = tuple(f.describe() for f in findings)
        if category == "leak":
            message, severity = self._leak_message(lost, sigma), "critical" if lost >= 15.0 else "high"
        else:
            message, severity = _fault_message(category, z), SEVERITY[category]
        return Event(decided, self.spec.equipment_id, self.circuit, category, "raised", severity,
                     loss if category in ("leak", "overcharge") else None, DETECTOR_NAMES[category], message,
                     first_seen, evidence)  # fmt: skip

    def _leak_message(self, lost: float, sigma: float) -> str:
        rate = self.leak_rate_pct_per_day()
        parts = [f"refrigerant leak suspected: about {lost:.1f}% (±{2 * sigma:.1f}) of the charge lost"]
        if rate is not None:
            yearly = leak_rate(rate, self.spec.charge_kg, self.spec.refrigerant, self.registry)
            parts.append(f"losing {rate:.2f}%/day = {yearly.kg_per_year} kg/yr = {yearly.t_co2_per_year} t-CO2/yr")
        parts.append(f"read from {INDICATOR_NAMES[self.model.prior.indicator]} against the learned baseline")
        return "; ".join(parts)

    def leak_rate_pct_per_day(self) -> float | None:
        """The leak rate from the last week's charge estimates (detectors.charge.loss_per_day)."""
        return loss_per_day(self.state.recent_loss)


CLEAR_TEXT = "72 hours in a row"


def _fault_message(category: str, z: dict[str, float]) -> str:
    def zv(key: str) -> str:
        value = z.get(key, math.nan)
        return f"{value:+.1f} σ" if math.isfinite(value) else "n/a"

    texts = {
        "condenser_fouling": f"condenser fouling suspected: condensing approach {zv('cond_approach_k')}, "
        f"high pressure {zv('discharge_pressure_mpag')}, discharge temperature {zv('discharge_temp_c')}",
        "evaporator_icing": f"evaporator icing suspected: evaporator gap {zv('evap_gap_k')}, superheat "
        f"{zv('superheat_k')}, air temperature difference {zv('air_dt_k')}",
        "overcharge": f"more refrigerant than at the baseline: subcooling {zv('subcooling_k')}, "
        f"receiver level {zv('receiver_level_pct')}",
        "sensor_drift": f"a sensor disagrees with the others: Te check (controller vs Ps) {zv('te_check_k')}, "
        f"Tc check (controller vs Pd) {zv('tc_check_k')}, subcooling {zv('subcooling_k')} without the condenser "
        f"agreeing (approach {zv('cond_approach_k')})",
        "other_fault": "operating values outside everything seen while healthy: "
        + ", ".join(f"{k} {zv(k)}" for k in sorted(z, key=lambda k: -abs(z[k]) if math.isfinite(z[k]) else 0)[:4]),
    }
    return texts[category]
