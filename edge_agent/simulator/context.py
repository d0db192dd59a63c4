"""The world around a unit, vectorised over time: weather, store hours, load, doors, defrost, cycling.

Local time is Asia/Tokyo, which is UTC+9 all year (Japan has no daylight saving time). The climate is
Tokyo's (monthly means about 5 °C in January to 27 °C in August, a ~7 K daily range) plus multi-day weather
swings from a seeded AR(1) process on a daily grid. Defrost and compressor cycling are scheduled from
absolute time, so every value is a function of the step alone (no state is carried between steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_agent.simulator.design import UnitDesign
from edge_agent.simulator.rng import Streams

__all__ = ["Context", "Thermostat", "build_context", "thermostat"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DAY_S = 86400.0
TOKYO_UTC_OFFSET_S = 9 * 3600.0
_ANNUAL_MEAN_C, _ANNUAL_AMPLITUDE_K, _COLDEST_DAY = 16.0, 10.9, 22.0
_DAILY_AMPLITUDE_K, _WARMEST_HOUR = 3.6, 14.0
_WEATHER_AR, _WEATHER_STD_K = 0.75, 2.2
_RECOVERY_S = 15 * 60.0  # pull-down after a defrost or at the start of operating hours
_LONG_S = 6 * 3600.0
_DAYS_1970_TO_2000 = 10957.0
_YEAR_DAYS = 365.2425


@dataclass(frozen=True)
class Context:
    """Per-step surroundings of one unit; temperatures °C, times s, load as a share of design capacity."""

    interval_s: float
    t_s: FloatArray  # since the start of the run
    outdoor_c: FloatArray
    store_c: FloatArray  # sales floor air (also the building air around a chiller's loop)
    condenser_in_c: FloatArray  # outdoor air, sales-floor air (built-in cases) or cooling water (turbo)
    store_open: BoolArray
    operating: BoolArray  # may run at all (air conditioning and chillers: operating hours only)
    since_start_s: FloatArray  # since the operating period started
    since_stop_s: FloatArray  # since it ended
    load: FloatArray  # before the setpoint's effect, which the model adds
    door: BoolArray
    defrost: BoolArray
    defrost_elapsed_s: FloatArray
    recovery: BoolArray  # forced pull-down after defrost or at start-up
    recovery_elapsed_s: FloatArray
    cycle_phase: FloatArray  # 0..1 within the thermostat cycle


@dataclass(frozen=True)
class Thermostat:
    """Compressor state from the duty the load asks for."""

    on: BoolArray
    on_for_s: FloatArray  # time since the compressor started (when on)
    off_for_s: FloatArray  # time since it stopped (when off)
    offset_k: FloatArray  # controlled temperature minus setpoint


def build_context(
    design: UnitDesign,
    streams: Streams,
    start_epoch_s: float,
    steps: tuple[int, int],
    interval_s: float,
    ambient_delta_k: FloatArray,
) -> Context:
    """The context of steps i0 <= i < i1 of a run that starts at ``start_epoch_s`` (UTC).

    ``ambient_delta_k`` (heat waves) is added to the outdoor air and to what follows it.
    """
    i0, i1 = steps
    t_s = np.arange(i0, i1, dtype=np.float64) * interval_s
    epoch = start_epoch_s + t_s
    local_h = ((epoch + TOKYO_UTC_OFFSET_S) % DAY_S) / 3600.0
    outdoor = _climate(epoch, local_h) + _weather(streams, t_s) + ambient_delta_k
    store = np.clip(23.0 + 0.15 * (outdoor - 16.0), 19.0, 27.0)
    profile = design.profile
    open_, operating, since_start = _hours(design, local_h)
    door_p = 1.0 - np.exp(-profile.door_events_per_h * interval_s / 3600.0)
    door = open_ & (streams.uniform("door", i0, i1) < door_p)
    defrost, defrost_elapsed = _defrost(design, epoch)
    if profile.defrost_every_h is not None:
        recovery_elapsed = defrost_elapsed - profile.defrost_minutes * 60.0
    else:
        recovery_elapsed = since_start
    condenser = {"outdoor": outdoor, "indoor": store, "water": np.clip(0.5 * outdoor + 16.0, 20.0, 33.0)}
    return Context(
        interval_s=interval_s,
        t_s=t_s,
        outdoor_c=outdoor,
        store_c=store,
        condenser_in_c=condenser[profile.condenser],
        store_open=open_,
        operating=operating,
        since_start_s=since_start,
        since_stop_s=((local_h - design.close_h) % 24.0) * 3600.0,
        load=_load(design, outdoor, store, open_) + 0.15 * door,
        door=door,
        defrost=defrost,
        defrost_elapsed_s=defrost_elapsed,
        recovery=operating & ~defrost & (recovery_elapsed >= 0) & (recovery_elapsed < _RECOVERY_S),
        recovery_elapsed_s=recovery_elapsed,
        cycle_phase=((epoch + design.cycle_offset_s) / design.cycle_s) % 1.0,
    )


def thermostat(context: Context, duty: FloatArray, differential_k: float, cycle_s: float) -> Thermostat:
    """On/off cycling with hysteresis as a quasi-steady square wave.

    Within each thermostat cycle of ``cycle_s`` the compressor runs for the share ``duty``; the controlled
    temperature falls from setpoint + differential/2 to setpoint - differential/2 while it runs and climbs
    back while it is off: the saw-tooth of a hysteresis thermostat. Duty >= 0.98 runs continuously.
    Defrost and non-operating hours stop the compressor; the recovery after them forces it on.
    """
    d = np.clip(duty, 1e-3, 1.0)
    phase = context.cycle_phase
    continuous = d >= 0.98
    pwm_on = phase < d
    allowed = context.operating & ~context.defrost
    on = allowed & (continuous | pwm_on | context.recovery)
    half = differential_k / 2.0
    falling = half - differential_k * phase / d
    rising = -half + differential_k * (phase - d) / np.maximum(1.0 - d, 1e-3)
    offset = np.where(continuous | context.recovery | ~allowed, 0.0, np.where(pwm_on, falling, rising))
    on_for = np.where(context.recovery, context.recovery_elapsed_s, np.where(continuous, _LONG_S, phase * cycle_s))
    off_for = np.where(
        context.defrost,
        context.defrost_elapsed_s,
        np.where(context.operating, (phase - d) * cycle_s, context.since_stop_s),
    )
    return Thermostat(on=on, on_for_s=on_for, off_for_s=np.maximum(off_for, 0.0), offset_k=offset)


def _hours(design: UnitDesign, local_h: FloatArray) -> tuple[BoolArray, BoolArray, FloatArray]:
    """Store open, unit allowed to run (air conditioning from an hour before opening), time since it may run."""
    open_ = (local_h >= design.open_h) & (local_h < design.close_h)
    if design.profile.hours == "store":
        return open_, np.ones(local_h.shape, dtype=bool), local_h * 3600.0
    start_h = design.open_h - 1.0
    operating = (local_h >= start_h) & (local_h < design.close_h)
    return open_, operating, ((local_h - start_h) % 24.0) * 3600.0


def _climate(epoch: FloatArray, local_h: FloatArray) -> FloatArray:
    day_of_year = ((epoch + TOKYO_UTC_OFFSET_S) / DAY_S - _DAYS_1970_TO_2000) % _YEAR_DAYS
    seasonal = _ANNUAL_MEAN_C - _ANNUAL_AMPLITUDE_K * np.cos(2 * np.pi * (day_of_year - _COLDEST_DAY) / _YEAR_DAYS)
    return seasonal + _DAILY_AMPLITUDE_K * np.cos(2 * np.pi * (local_h - _WARMEST_HOUR) / 24.0)


def _weather(streams: Streams, t_s: FloatArray) -> FloatArray:
    """AR(1) anomaly on days since the start of the run, linearly interpolated between days."""
    if t_s.size == 0:
        return np.empty(0)
    last_day = int(t_s[-1] // DAY_S) + 1
    shocks = streams.normal("weather", 0, last_day + 1) * _WEATHER_STD_K
    scale = float(np.sqrt(1.0 - _WEATHER_AR**2))
    anomaly = np.empty(last_day + 1)
    anomaly[0] = shocks[0]
    for day in range(1, last_day + 1):
        anomaly[day] = _WEATHER_AR * anomaly[day - 1] + scale * shocks[day]
    return np.interp(t_s / DAY_S, np.arange(last_day + 1, dtype=np.float64), anomaly)


def _defrost(design: UnitDesign, epoch: FloatArray) -> tuple[BoolArray, FloatArray]:
    every_h = design.profile.defrost_every_h
    if every_h is None:
        return np.zeros(epoch.shape, dtype=bool), np.full(epoch.shape, _LONG_S)
    elapsed = (epoch + design.defrost_offset_s) % (every_h * 3600.0)
    return elapsed < design.profile.defrost_minutes * 60.0, elapsed


def _load(design: UnitDesign, outdoor: FloatArray, store: FloatArray, open_: BoolArray) -> FloatArray:
    """Heat load as a share of design capacity, at the default setpoint."""
    profile = design.profile
    if profile.hours == "operating":
        # Air conditioning and chillers: internal gains plus an envelope load that grows with outdoor air.
        return design.design_load * np.clip(0.35 + 0.65 * (outdoor - 15.0) / 18.0, 0.08, 1.4)
    # Refrigeration: open cases gain heat from the sales floor; night blinds and closed doors cut it after hours.
    closed_share = 0.7 if profile.door_events_per_h == 0 else 0.8
    return design.design_load * np.where(open_, 1.0, closed_share) * (1.0 + 0.03 * (store - 23.0))
