"""One refrigerant circuit's true (noise-free) channel values, step by step.

The cycle itself is in ``cycle.py``; here the thermostat runs it, the compressor coasts down after a stop,
and the air or water side, the cabinet, the receiver, the sight glass and the purge unit are derived.
``sensors.py`` turns the values into readings.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from edge_agent.simulator.compressor import compressor_map
from edge_agent.simulator.context import Context, Thermostat, thermostat
from edge_agent.simulator.cycle import Inventory, Running, inventory, running, speed_and_capacity
from edge_agent.simulator.design import UnitDesign
from edge_agent.simulator.faults import FaultTimeline
from edge_agent.simulator.rng import Streams

__all__ = ["circuit_values"]

FloatArray = npt.NDArray[np.float64]
_DEFROST_RISE_K = 4.0
_RECOVERY_S = 15 * 60.0
_LINE_DROP = 0.003  # supply voltage lost in the feeder at design input power


def circuit_values(
    design: UnitDesign, context: Context, faults: FaultTimeline, streams: Streams, steps: tuple[int, int]
) -> dict[str, FloatArray]:
    """True values of every channel the unit reports, for the steps of ``context``."""
    inv = inventory(design, faults.charge_fraction)
    load = context.load * (1.0 + 0.02 * (design.profile.setpoint_c - faults.setpoint_c))
    speed, capacity = speed_and_capacity(design, context, faults, inv, load)
    duty = load / (speed * capacity)
    state = thermostat(context, duty, design.profile.differential_k, design.cycle_s)
    controlled = _controlled_temperature(design, context, faults, state, duty)
    medium_ref = controlled + design.return_offset_k + 2.5 * context.door
    run_state = running(design, context, faults, inv, medium_ref, speed, capacity)
    values = _refrigerant_side(design, context, state, run_state, medium_ref)
    values.update(_medium_side(design, context, faults, state, run_state, controlled, medium_ref))
    values.update(_indicators(design, context, faults, state, run_state, inv, streams, steps))
    return values


def _controlled_temperature(
    design: UnitDesign, context: Context, faults: FaultTimeline, state: Thermostat, duty: FloatArray
) -> FloatArray:
    """Cabinet, room or leaving-water temperature: the thermostat's saw-tooth, defrost, unmet load.

    When the unit delivers only 1/duty of the load, the heat balance UA (T_free - T) = capacity puts the
    temperature that share of the way from the free-floating temperature back to the setpoint.
    """
    profile = design.profile
    free = _free_floating(design, context)
    unmet = np.clip(1.0 - 1.0 / np.maximum(duty, 1.0), 0.0, 1.0) * context.operating
    value = faults.setpoint_c + state.offset_k + (free - faults.setpoint_c) * unmet
    if profile.defrost_every_h is not None:
        warming = _DEFROST_RISE_K * context.defrost_elapsed_s / (profile.defrost_minutes * 60.0)
        cooling = _DEFROST_RISE_K * (1.0 - context.recovery_elapsed_s / _RECOVERY_S)
        value = value + np.where(context.defrost, warming, np.where(context.recovery, cooling, 0.0))
    if profile.hours == "operating":
        relaxed = free + (faults.setpoint_c - free) * np.exp(-context.since_stop_s / 7200.0)
        value = np.where(context.operating, value, np.maximum(relaxed, faults.setpoint_c))
    return value


def _free_floating(design: UnitDesign, context: Context) -> FloatArray:
    """Temperature the cooled space drifts to without cooling: the sales floor around a case or cold room;
    for rooms and chilled-water loops, between outdoor and indoor air plus internal gains."""
    if design.profile.hours == "store":
        return context.store_c
    return 0.5 * (context.outdoor_c + context.store_c) + 3.0


def _refrigerant_side(
    design: UnitDesign, context: Context, state: Thermostat, running: Running, medium_ref: FloatArray
) -> dict[str, FloatArray]:
    """Pressures, refrigerant temperatures and the compressor, running or coasting after a stop."""
    table, on = design.table, state.on
    ambient = context.condenser_in_c

    def coast(running_value: FloatArray, target: FloatArray, tau_s: float) -> FloatArray:
        return np.where(on, running_value, target + (running_value - target) * np.exp(-state.off_for_s / tau_s))

    te = coast(running.te, medium_ref, 180.0)
    tc = coast(running.tc, ambient, 300.0)
    ts = coast(running.te + running.superheat, np.maximum(medium_ref, ambient - 5.0), 900.0)
    compressor = compressor_map(design, design.design_te_c, design.design_tc_c)
    ps_run = table.dew_pressure_mpag(running.te)
    pd_run = table.bubble_pressure_mpag(running.tc)
    run = compressor.run(ps_run, pd_run, running.te + running.superheat, running.speed)
    # The motor sees the supply: ±1 % over the day, less a small feeder drop that grows with the current.
    volts = design.profile.volts * (1.0 + 0.01 * np.sin(2 * np.pi * context.t_s / 86400.0))
    power = np.where(on, run.power_kw, 0.0)
    current = compressor.current_a(power, volts)
    shell_run = ambient + 0.6 * (run.discharge_c - ambient) * (1.0 - 0.4 * np.exp(-state.on_for_s / 600.0))
    return {
        "suction_pressure_mpag": table.dew_pressure_mpag(te),
        "discharge_pressure_mpag": table.bubble_pressure_mpag(tc),
        "discharge_temp_c": coast(run.discharge_c, ambient, 900.0),
        "suction_temp_c": ts,
        "liquid_temp_c": coast(running.tc - running.subcooling, ambient, 600.0),
        "evap_sat_temp_c": te,
        "cond_sat_temp_c": tc,
        "compressor_voltage_v": volts * (1.0 - _LINE_DROP * power / design.compressor_kw),
        "compressor_current_a": current,
        "compressor_power_kw": power,
        "compressor_shell_temp_c": coast(shell_run, ambient, 1800.0),
        "ambient_temp_c": context.store_c if design.profile.condenser == "indoor" else context.outdoor_c,
        "compressor_on": on.astype(np.float64),
    }


def _medium_side(
    design: UnitDesign,
    context: Context,
    faults: FaultTimeline,
    state: Thermostat,
    running: Running,
    controlled: FloatArray,
    medium_ref: FloatArray,
) -> dict[str, FloatArray]:
    """Air or chilled-water temperatures, cabinet temperature and the setpoint."""
    profile, on = design.profile, state.on
    drop = profile.medium_dt_k * running.delivered
    values = {"cabinet_setpoint_c": faults.setpoint_c, "defrost_on": context.defrost.astype(np.float64)}
    if profile.medium == "water":
        idle = 0.2 * profile.medium_dt_k * context.load * context.operating
        values["chw_out_temp_c"] = controlled
        values["chw_in_temp_c"] = controlled + np.where(on, drop, idle)
    else:
        idle = np.where(context.defrost, -1.5, 0.5)
        values["air_in_temp_c"] = medium_ref
        values["air_out_temp_c"] = medium_ref - np.where(on, drop * (1.0 - 0.3 * faults.icing), idle)
    values["cabinet_temp_c"] = controlled + 0.3 * context.door
    return values


def _indicators(
    design: UnitDesign,
    context: Context,
    faults: FaultTimeline,
    state: Thermostat,
    running: Running,
    inv: Inventory,
    streams: Streams,
    steps: tuple[int, int],
) -> dict[str, FloatArray]:
    """Receiver level, sight-glass bubbles and purge counts."""
    on = state.on
    level = np.where(on, running.level_pct, np.clip(running.level_pct + 5.0, 0.0, 98.0))
    # Bubbles: flash gas once the liquid seal thins out; briefly also in the pull-down after defrost (row i).
    p_bubbles = 0.002 + 1.0 / (1.0 + np.exp((inv.margin - 0.12) / 0.04)) + 0.05 * context.recovery
    bubbles = on & (streams.uniform("sight_glass", *steps) < p_bubbles)
    # Low-pressure turbo chillers purge the air that leaks into the sub-atmospheric side (row j, interpretation).
    expected = (0.4 + 6.0 * faults.leak_rate_pct_per_day) * context.interval_s / 86400.0
    purges = _poisson(expected, streams.uniform("purge", *steps))
    return {"receiver_level_pct": level, "sight_glass_bubbles": bubbles.astype(np.float64), "purge_count": purges}


def _poisson(mean: FloatArray, uniform: FloatArray) -> FloatArray:
    """Inverse-CDF Poisson draws for small means (counts above 9 per step are capped)."""
    term = np.exp(-mean)
    cdf, count = term.copy(), np.zeros_like(mean)
    for k in range(1, 10):
        count += uniform > cdf
        term = term * mean / k
        cdf = cdf + term
    return count
