"""Saturation properties of a refrigerant from CoolProp, tabulated once so that lookups are vectorised.

Conventions (REGULATION.md (c1) and its interpretation for zeotropic blends):

* the evaporating saturation temperature Te read from Ps is the **dew** point, so superheat SH = Ts - Te_dew;
* the condensing saturation temperature Tc read from Pd is the **bubble** point, so subcooling SC = Tc_bubble - Td;
* pressures are **gauge**, as in the indirect-method checklist: gauge = absolute - 0.101325 MPa.

CoolProp 8 is asked for the canonical name first (pure fluids and the pseudo-pure blends R404A, R407C, R410A,
R507A, which are robust), then for its predefined mixture ``NAME.mix`` (R448A, R449A, R463A, ...). Flash
calculations of those mixtures fail at a few temperatures near their critical region; such points are filled
from their neighbours along ln(p) against 1/T (Clausius-Clapeyron), which is nearly linear.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import CoolProp.CoolProp as CP
import numpy as np
import numpy.typing as npt

from fluorowatch.domain.refrigerants import normalise_refrigerant_name

__all__ = ["ATMOSPHERE_MPA", "SaturationTable", "UnsupportedRefrigerant", "saturation_table"]

FloatArray = npt.NDArray[np.float64]
ArrayLike = FloatArray | float

ATMOSPHERE_MPA = 0.101325
T_MIN_C = -50.0
T_MAX_C = 70.0
T_STEP_K = 1.0  # linear interpolation error in p below 0.02 %
_MIN_UPPER_C = 55.0  # condensing temperatures of a hot summer day with a fouled condenser
_CRITICAL_MARGIN_K = 1.5
_MIN_VALID_SHARE = 0.75
_DEFAULT_EXPONENT = 1.15
_MIXTURE_EXPONENT_SCALE = 0.72
_MAX_LOG_RESIDUAL = 0.02  # 2 % off a cubic fit of ln(p) against 1/T


class UnsupportedRefrigerant(ValueError):
    """The refrigerant has no usable CoolProp equation of state, or is transcritical where we need it."""


@dataclass(frozen=True, eq=False)
class SaturationTable:
    """Dew and bubble pressures of one refrigerant on a temperature grid (°C, increasing).

    Lookups outside the grid are clamped to its ends (``np.interp``); the grid spans -50 °C to
    70 °C, or to 1.5 K below the critical temperature when that is lower.
    """

    refrigerant: str
    coolprop_fluid: str
    t_c: FloatArray
    dew_abs_mpa: FloatArray
    bubble_abs_mpa: FloatArray
    isentropic_exponent: float  # effective k of the isentrope from Te -5 °C to Tc 40 °C

    def dew_pressure_mpag(self, t_c: ArrayLike) -> FloatArray:
        """Gauge pressure (MPa) at which vapour at ``t_c`` starts to condense: Ps for an evaporating Te."""
        return np.interp(_array(t_c), self.t_c, self.dew_abs_mpa) - ATMOSPHERE_MPA

    def bubble_pressure_mpag(self, t_c: ArrayLike) -> FloatArray:
        """Gauge pressure (MPa) at which liquid at ``t_c`` starts to boil: Pd for a condensing Tc."""
        return np.interp(_array(t_c), self.t_c, self.bubble_abs_mpa) - ATMOSPHERE_MPA

    def dew_temperature_c(self, p_mpag: ArrayLike) -> FloatArray:
        """Evaporating saturation temperature Te (dew point, °C) at gauge pressure Ps."""
        return np.interp(_array(p_mpag) + ATMOSPHERE_MPA, self.dew_abs_mpa, self.t_c)

    def bubble_temperature_c(self, p_mpag: ArrayLike) -> FloatArray:
        """Condensing saturation temperature Tc (bubble point, °C) at gauge pressure Pd."""
        return np.interp(_array(p_mpag) + ATMOSPHERE_MPA, self.bubble_abs_mpa, self.t_c)


def _array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


@cache
def saturation_table(refrigerant: str) -> SaturationTable:
    """The table for ``refrigerant`` (any spelling the registry normalises, e.g. ``HFC-404A``), built once.

    Raises ``UnsupportedRefrigerant`` naming the refrigerant when CoolProp has neither the fluid nor a
    predefined mixture for it, when too many flash calculations fail, or when its critical temperature is
    below the condensing range (e.g. R744, transcritical cycles are not modelled).
    """
    name = normalise_refrigerant_name(refrigerant)
    fluid, state = _coolprop_state(name)
    upper = _upper_temperature_c(name, fluid, state)
    t_c = np.arange(T_MIN_C, upper + 1e-9, T_STEP_K)
    dew = _saturation_curve(name, state, t_c, quality=1.0)
    bubble = _saturation_curve(name, state, t_c, quality=0.0)
    return SaturationTable(name, fluid, t_c, dew, bubble, _isentropic_exponent(fluid, state, t_c, dew, bubble))


def _coolprop_state(name: str) -> tuple[str, CP.AbstractState]:
    for fluid in (name, f"{name}.mix"):
        try:
            return fluid, CP.AbstractState("HEOS", fluid)
        except ValueError:
            continue
    raise UnsupportedRefrigerant(
        f"refrigerant {name} is not supported: CoolProp {CP.get_global_param_string('version')} "
        f"has neither a fluid {name!r} nor a predefined mixture {name + '.mix'!r}"
    )


def _upper_temperature_c(name: str, fluid: str, state: CP.AbstractState) -> float:
    if fluid.endswith(".mix"):
        return T_MAX_C  # CoolProp's critical-point search on mixtures takes seconds and often fails
    critical_c = float(state.T_critical()) - 273.15
    upper = min(T_MAX_C, critical_c - _CRITICAL_MARGIN_K)
    if upper < _MIN_UPPER_C:
        raise UnsupportedRefrigerant(
            f"refrigerant {name} is not supported: its critical temperature {critical_c:.1f} °C "
            f"is below the condensing range (transcritical cycles are not modelled)"
        )
    return upper


def _saturation_curve(name: str, state: CP.AbstractState, t_c: FloatArray, quality: float) -> FloatArray:
    """Absolute saturation pressure (MPa) at quality 1 (dew) or 0 (bubble); failed flashes filled."""
    pressure = np.full(t_c.shape, np.nan)
    for i, t in enumerate(t_c):
        try:
            state.update(CP.QT_INPUTS, quality, float(t) + 273.15)
            pressure[i] = state.p() / 1e6
        except ValueError:
            continue
    valid = _plausible(t_c, pressure)
    curve = "dew" if quality == 1.0 else "bubble"
    if valid.mean() < _MIN_VALID_SHARE:
        raise UnsupportedRefrigerant(
            f"refrigerant {name} is not supported: CoolProp failed on "
            f"{int((~valid).sum())} of {valid.size} {curve}-point calculations"
        )
    filled = _fill_clausius_clapeyron(t_c, pressure, valid)
    if np.any(np.diff(filled) <= 0):
        raise UnsupportedRefrigerant(f"refrigerant {name}: CoolProp's {curve} curve is not monotonic")
    return filled


def _plausible(t_c: FloatArray, pressure: FloatArray) -> npt.NDArray[np.bool_]:
    """Points that converged to the right root: a failed or wrong flash lies off the smooth ln(p)-1/T curve."""
    valid = np.isfinite(pressure) & (pressure > 0)
    inv_t = 1.0 / (t_c + 273.15)
    for _ in range(3):
        if valid.sum() < 8:
            break
        coefficients = np.polyfit(inv_t[valid], np.log(pressure[valid]), 3)
        residual = np.abs(np.log(np.where(valid, pressure, 1.0)) - np.polyval(coefficients, inv_t))
        valid &= residual < _MAX_LOG_RESIDUAL
    return valid


def _fill_clausius_clapeyron(t_c: FloatArray, pressure: FloatArray, valid: npt.NDArray[np.bool_]) -> FloatArray:
    inv_t = 1.0 / (t_c + 273.15)
    log_p = np.log(pressure[valid])
    x = inv_t[valid]
    # np.interp needs increasing x; 1/T decreases with T, so reverse.
    filled = np.exp(np.interp(inv_t[::-1], x[::-1], log_p[::-1]))[::-1]
    for end in (slice(None, 8), slice(-8, None)):
        slope, intercept = np.polyfit(x[end], log_p[end], 1)
        outside = (inv_t > x[0]) if end.start is None else (inv_t < x[-1])
        filled[outside] = np.exp(slope * inv_t[outside] + intercept)
    return filled


def _isentropic_exponent(
    fluid: str, state: CP.AbstractState, table_t_c: FloatArray, dew: FloatArray, bubble: FloatArray
) -> float:
    """Exponent k with T2/T1 = (p2/p1)^((k-1)/k) along the isentrope from Te -5 °C (10 K superheat) to the
    bubble pressure at 40 °C: the real-gas value, well below cp/cv near saturation.

    CoolProp's pressure-entropy flash takes about a second on a predefined mixture, so for those k comes from
    cp/cv at the suction state, scaled by 0.72 (the ratio of the two for R404A, R407C, R22 and R410A lies
    between 0.65 and 0.77).
    """
    p1 = float(np.interp(-5.0, table_t_c, dew)) * 1e6
    p2 = float(np.interp(40.0, table_t_c, bubble)) * 1e6
    t1 = 273.15 + 5.0
    try:
        state.update(CP.PT_INPUTS, p1, t1)
        if fluid.endswith(".mix"):
            return 1.0 + _MIXTURE_EXPONENT_SCALE * (float(state.cpmass() / state.cvmass()) - 1.0)
        state.update(CP.PSmass_INPUTS, p2, state.smass())
        exponent = float(np.log(state.T() / t1) / np.log(p2 / p1))
    except ValueError:
        return _DEFAULT_EXPONENT
    return 1.0 / (1.0 - exponent)


def is_low_pressure(refrigerant: str) -> bool:
    """A refrigerant whose evaporator runs below atmospheric pressure at chilled-water duty (R123, R1233zd(E),
    R1234ze(Z), ...): air leaks in and a purge unit removes it (REGULATION.md (c) row j)."""
    return float(saturation_table(refrigerant).dew_pressure_mpag(5.0)) < 0.0
