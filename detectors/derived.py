"""Derived values of the indirect method (REGULATION.md (c)), vectorised over a window of one circuit's readings.

* Te, Tc: the controller's own values when it reports them, else read from Ps (dew point) and Pd (bubble point)
  of the unit's refrigerant (fluorowatch/domain/saturation.py; blends: dew for evaporating, bubble for condensing).
* superheat SH = Ts - Te (checklist row d), subcooling SC = Tc - Td (row e).
* air and chilled-water temperature differences, inlet minus outlet (row g; the sign is our interpretation, (c)).
* `running`: compressor on and no defrost. `steady`: running for at least `settle_minutes` without a defrost or a
  stop in between (checklist note 2: normal values are taken while the unit runs stably).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fluorowatch.domain.saturation import saturation_table

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Frame = Mapping[str, FloatArray]  # channel key -> values (NaN = missing), all the same length, in time order

SETTLE_MINUTES = 5.0  # short-cycling capillary cases run 5-8 min at a time


@dataclass(frozen=True)
class Derived:
    evap_sat_temp_c: FloatArray
    cond_sat_temp_c: FloatArray
    superheat_k: FloatArray
    subcooling_k: FloatArray
    air_dt_k: FloatArray
    water_dt_k: FloatArray
    running: BoolArray
    steady: BoolArray


def derive(frame: Frame, ts_s: FloatArray, refrigerant: str, settle_minutes: float = SETTLE_MINUTES) -> Derived:
    """Derived values for the rows of `frame`, measured at `ts_s` (seconds, increasing)."""
    n = len(ts_s)
    table = saturation_table(refrigerant)
    te = _reported_or(_get(frame, "evap_sat_temp_c", n),
                      lambda: table.dew_temperature_c(_get(frame, "suction_pressure_mpag", n)))  # fmt: skip
    tc = _reported_or(_get(frame, "cond_sat_temp_c", n),
                      lambda: table.bubble_temperature_c(_get(frame, "discharge_pressure_mpag", n)))  # fmt: skip
    running = _running(frame, n)
    return Derived(
        evap_sat_temp_c=te,
        cond_sat_temp_c=tc,
        superheat_k=_get(frame, "suction_temp_c", n) - te,
        subcooling_k=tc - _get(frame, "liquid_temp_c", n),
        air_dt_k=_get(frame, "air_in_temp_c", n) - _get(frame, "air_out_temp_c", n),
        water_dt_k=_get(frame, "chw_in_temp_c", n) - _get(frame, "chw_out_temp_c", n),
        running=running,
        steady=_steady(running, ts_s, settle_minutes * 60.0),
    )


def _get(frame: Frame, key: str, n: int) -> FloatArray:
    values = frame.get(key)
    return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)


def _reported_or(reported: FloatArray, computed: Callable[[], FloatArray]) -> FloatArray:
    """The controller's value where it gave one, else the one computed from the pressure."""
    if not np.isnan(reported).any():
        return reported
    return np.where(np.isnan(reported), computed(), reported)


def _running(frame: Frame, n: int) -> BoolArray:
    compressor = _get(frame, "compressor_on", n)
    defrost = _get(frame, "defrost_on", n)
    # A unit that does not report compressor_on is taken as running; defrost masks the readings either way.
    on = np.where(np.isnan(compressor), True, compressor > 0.5)
    return np.asarray(on & ~(defrost > 0.5), dtype=np.bool_)


def _steady(running: BoolArray, ts_s: FloatArray, settle_s: float) -> BoolArray:
    """True where the unit has been running without interruption for at least `settle_s` seconds."""
    starts = np.flatnonzero(running & ~np.concatenate(([False], running[:-1])))
    run_start = np.full(len(running), np.nan)
    run_start[starts] = ts_s[starts]
    # carry each run's start time forward through the run
    index = np.where(~np.isnan(run_start), np.arange(len(running)), 0)
    np.maximum.accumulate(index, out=index)
    since = ts_s - ts_s[index]
    return np.asarray(running & (since >= settle_s), dtype=np.bool_)
