"""A reciprocating/scroll compressor map relative to the unit's design point, vectorised.

Mass flow follows suction density (Ps/Ts) and volumetric efficiency; the temperature rise is the
isentropic one over the pressure ratio divided by an isentropic efficiency; a suction-cooled hermetic
motor heats the gas first, more per kg when the mass flow is small. Electrical power is a fixed share
plus mass flow times specific work, scaled to the unit's design input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_agent.simulator.design import UnitDesign
from fluorowatch.domain.saturation import ATMOSPHERE_MPA

__all__ = ["CompressorMap", "CompressorState", "compressor_map"]

FloatArray = npt.NDArray[np.float64]
_CLEARANCE = 0.04
_FIXED_SHARE = 0.12
_POWER_FACTOR = 0.85
_KELVIN = 273.15


@dataclass(frozen=True)
class CompressorState:
    discharge_c: FloatArray
    power_kw: FloatArray
    mass_flow: FloatArray  # relative to the design point


@dataclass(frozen=True)
class CompressorMap:
    design: UnitDesign
    suction_abs_mpa: float
    suction_k: float
    volumetric_efficiency: float
    rise_k: float

    def run(self, ps_mpag: FloatArray, pd_mpag: FloatArray, ts_c: FloatArray, speed: FloatArray) -> CompressorState:
        """The running compressor at suction/discharge gauge pressures, suction temperature and speed share."""
        ps_abs = np.maximum(ps_mpag + ATMOSPHERE_MPA, 0.002)
        ratio = np.maximum((pd_mpag + ATMOSPHERE_MPA) / ps_abs, 1.05)
        ts_k = ts_c + _KELVIN
        mass_flow = (
            speed
            * (ps_abs / self.suction_abs_mpa)
            * (self.suction_k / ts_k)
            * (self._volumetric_efficiency(ratio) / self.volumetric_efficiency)
        )
        inlet_k = ts_k + self.design.profile.motor_heat_k * np.clip(speed / np.maximum(mass_flow, 0.05), 0.5, 3.0)
        rise = self._rise(inlet_k, ratio)
        power = self.design.compressor_kw * (_FIXED_SHARE * speed + (1 - _FIXED_SHARE) * mass_flow * rise / self.rise_k)
        return CompressorState(inlet_k + rise - _KELVIN, power, mass_flow)

    def current_a(self, power_kw: FloatArray, volts: FloatArray) -> FloatArray:
        """Motor current from electrical power and supply voltage (three- or single-phase)."""
        phases = np.sqrt(3.0) if self.design.profile.phases == 3 else 1.0
        return power_kw * 1000.0 / (volts * _POWER_FACTOR * phases)

    def _volumetric_efficiency(self, ratio: FloatArray | float) -> FloatArray:
        exponent = 1.0 / self.design.table.isentropic_exponent
        return np.asarray(np.clip(1.0 - _CLEARANCE * (np.power(ratio, exponent) - 1.0), 0.3, 1.0))

    def _rise(self, inlet_k: FloatArray | float, ratio: FloatArray | float) -> FloatArray:
        k = self.design.table.isentropic_exponent
        lift = np.power(ratio, (k - 1.0) / k) - 1.0
        return np.asarray(inlet_k * lift / self.design.profile.isentropic_efficiency)


def compressor_map(design: UnitDesign, te_c: float, tc_c: float) -> CompressorMap:
    """The map anchored at the design evaporating and condensing (bubble) temperatures."""
    table = design.table
    ps_abs = float(table.dew_pressure_mpag(te_c)) + ATMOSPHERE_MPA
    ratio = (float(table.bubble_pressure_mpag(tc_c)) + ATMOSPHERE_MPA) / ps_abs
    suction_k = te_c + design.superheat_k + _KELVIN
    anchor = CompressorMap(design, ps_abs, suction_k, 1.0, 1.0)
    inlet_k = suction_k + design.profile.motor_heat_k
    return CompressorMap(
        design,
        ps_abs,
        suction_k,
        float(anchor._volumetric_efficiency(ratio)),
        float(anchor._rise(inlet_k, ratio)),
    )
