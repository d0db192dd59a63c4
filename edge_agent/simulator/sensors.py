"""From true values to what the unit's sensors report: offsets, noise, drift, resolution, dropouts.

Each unit and circuit has small fixed offsets per sensor (from its seed). The controller's Te and Tc come
from its own pressure transducers (dew point of Ps, bubble point of Pd), so an offset shows in both, but a
``sensor_drift`` fault moves the one channel it names and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from edge_agent.simulator.design import UnitDesign
from edge_agent.simulator.rng import Streams
from fluorowatch.domain.channels import ChannelType, channel

__all__ = ["MISSING_CELL_PROBABILITY", "measure", "reported_decimals"]

FloatArray = npt.NDArray[np.float64]

MISSING_CELL_PROBABILITY = 0.0005
_RELATIVE = frozenset({"compressor_current_a", "compressor_power_kw"})
_PRESSURES = ("suction_pressure_mpag", "discharge_pressure_mpag")
# (noise std, offset std): absolute in the channel's unit, or relative for _RELATIVE channels; pressures
# relative to the design absolute pressure, as transducers are chosen for the range they measure.
_ERRORS: Mapping[str, tuple[float, float]] = {
    "suction_pressure_mpag": (0.004, 0.006),
    "discharge_pressure_mpag": (0.003, 0.004),
    "discharge_temp_c": (0.3, 0.5),
    "suction_temp_c": (0.1, 0.2),
    "liquid_temp_c": (0.1, 0.2),
    "compressor_voltage_v": (0.3, 1.0),
    "compressor_current_a": (0.008, 0.015),
    "compressor_power_kw": (0.008, 0.015),
    "compressor_shell_temp_c": (0.3, 0.5),
    "air_in_temp_c": (0.15, 0.2),
    "air_out_temp_c": (0.15, 0.2),
    "chw_in_temp_c": (0.05, 0.1),
    "chw_out_temp_c": (0.05, 0.1),
    "cabinet_temp_c": (0.15, 0.2),
    "ambient_temp_c": (0.2, 0.3),
    "receiver_level_pct": (0.8, 2.0),
}
_DECIMALS: Mapping[str, int] = {
    "suction_pressure_mpag": 4,
    "discharge_pressure_mpag": 4,
    "compressor_current_a": 2,
    "compressor_power_kw": 2,
}


def measure(
    design: UnitDesign,
    true: Mapping[str, FloatArray],
    drift: Mapping[str, FloatArray],
    streams: Streams,
    steps: tuple[int, int],
) -> dict[str, FloatArray]:
    """The reported value of each of the unit's channels; NaN where a value went missing."""
    scales = dict(zip(_PRESSURES, design.design_pressures_abs_mpa, strict=True))
    offsets = {key: offset * scales.get(key, 1.0) for key, offset in _offsets(streams).items()}
    reported = {
        key: _sensed(key, true[key], offsets.get(key, 0.0), scales.get(key, 1.0), streams, steps)
        for key in design.channels
    }
    reported["evap_sat_temp_c"] = design.table.dew_temperature_c(reported["suction_pressure_mpag"])
    reported["cond_sat_temp_c"] = design.table.bubble_temperature_c(reported["discharge_pressure_mpag"])
    for key, added in drift.items():
        reported[key] = reported[key] + added
    for key in design.channels:
        reported[key] = _resolution(key, reported[key])
        missing = streams.uniform(f"missing:{key}", *steps) < MISSING_CELL_PROBABILITY
        reported[key] = np.where(missing, np.nan, reported[key])
    return reported


def _offsets(streams: Streams) -> dict[str, float]:
    rng = streams.constants("sensor_offsets")
    draws = rng.standard_normal(len(_ERRORS))
    return {key: float(draw * _ERRORS[key][1]) for key, draw in zip(_ERRORS, draws, strict=True)}


def _sensed(
    key: str, value: FloatArray, offset: float, scale: float, streams: Streams, steps: tuple[int, int]
) -> FloatArray:
    if key not in _ERRORS:
        return value
    noise = streams.normal(f"noise:{key}", *steps) * _ERRORS[key][0] * scale
    if key in _RELATIVE:
        return np.maximum(value * (1.0 + offset + noise), 0.0)
    return value + offset + noise


def reported_decimals(key: str) -> int:
    """Digits after the point that the unit reports for channel ``key`` (0 for flags and counts)."""
    if channel(key).type is not ChannelType.MEASUREMENT:
        return 0
    return _DECIMALS.get(key, 1)


def _resolution(key: str, value: FloatArray) -> FloatArray:
    if key == "receiver_level_pct":
        value = np.clip(value, 0.0, 100.0)
    return np.round(value, reported_decimals(key)) + 0.0  # + 0.0 turns -0.0 into 0.0
