"""Per equipment kind: how the unit is built and controlled, and which channels it reports.

The numbers are typical design values for Japanese commercial equipment (not from the seeds); each unit
varies them from its seed (see ``design.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType
from typing import Literal

from fluorowatch.domain.channels import channels
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.saturation import is_low_pressure

__all__ = ["PROFILES", "KindProfile", "channels_for", "uses_purge_unit"]

Hours = Literal["store", "operating"]


@dataclass(frozen=True)
class KindProfile:
    """Design of one kind. Temperatures °C, differences K, shares of nominal charge or capacity."""

    setpoint_c: float  # cabinet, room (air conditioners) or leaving chilled water (chillers)
    setpoint_range_c: tuple[float, float]
    medium: Literal["air", "water"]
    receiver: bool  # liquid receiver (turbo chiller: the flooded evaporator's level)
    sight_glass: bool
    cabinet: bool  # reports cabinet_temp_c
    capillary: bool  # fixed restrictor: superheat follows load, critically charged
    liquid_buffer: float  # share of the charge that can leak before the liquid seal at the expansion device breaks
    cycling: bool  # thermostat on/off; else capacity modulation (inverter, guide vanes) down to min_speed
    min_speed: float
    defrost_every_h: float | None
    defrost_minutes: float
    hours: Hours  # store: runs 24 h, load follows store hours; operating: runs only in operating hours
    condenser: Literal["outdoor", "indoor", "water"]
    evap_td_k: float  # controlled medium minus Te at design capacity
    cond_approach_k: float  # Tc minus condenser inlet at design heat rejection
    min_condensing_c: float | None  # head-pressure control floor (fan cycling, flooding)
    superheat_k: float
    subcooling_k: float
    medium_dt_k: float  # air or water temperature drop across the evaporator at design capacity
    design_load: float  # share of capacity the load needs at design conditions
    differential_k: float  # thermostat differential
    door_events_per_h: float  # in store hours
    kg_per_kw: float  # nominal charge per kW of compressor input at design
    volts: float
    phases: int
    cycle_minutes: float
    motor_heat_k: float  # suction gas heating in a suction-cooled hermetic motor
    isentropic_efficiency: float  # for the discharge temperature, shell heat loss included


_SHOWCASE_REMOTE = KindProfile(
    setpoint_c=3.0,
    setpoint_range_c=(-35.0, 12.0),
    medium="air",
    receiver=True,
    sight_glass=True,
    cabinet=True,
    capillary=False,
    liquid_buffer=0.25,
    cycling=True,
    min_speed=1.0,
    defrost_every_h=6.0,
    defrost_minutes=25.0,
    hours="store",
    condenser="outdoor",
    evap_td_k=9.0,
    cond_approach_k=10.0,
    min_condensing_c=20.0,
    superheat_k=6.0,
    subcooling_k=4.0,
    medium_dt_k=6.0,
    design_load=0.6,
    differential_k=2.0,
    door_events_per_h=0.0,
    kg_per_kw=3.0,
    volts=200.0,
    phases=3,
    cycle_minutes=20.0,
    motor_heat_k=12.0,
    isentropic_efficiency=0.75,
)
# Self-contained cases: capillary tube, no receiver (critically charged), condenser on the sales floor.
_SHOWCASE_BUILTIN = replace(
    _SHOWCASE_REMOTE,
    receiver=False,
    sight_glass=False,
    capillary=True,
    liquid_buffer=0.06,
    defrost_minutes=20.0,
    condenser="indoor",
    evap_td_k=10.0,
    cond_approach_k=14.0,
    min_condensing_c=None,
    superheat_k=5.0,
    subcooling_k=3.0,
    design_load=0.55,
    kg_per_kw=0.8,
    phases=1,
    cycle_minutes=15.0,
)
_COLD_ROOM = replace(
    _SHOWCASE_REMOTE,
    setpoint_c=2.0,
    liquid_buffer=0.28,
    defrost_minutes=30.0,
    evap_td_k=8.0,
    medium_dt_k=5.0,
    design_load=0.55,
    door_events_per_h=6.0,
    kg_per_kw=2.0,
    cycle_minutes=25.0,
)
# Air-conditioning duty: runs in operating hours only, no defrost (cooling mode).
_PACKAGE_AC = replace(
    _SHOWCASE_REMOTE,
    setpoint_c=26.0,
    setpoint_range_c=(18.0, 30.0),
    receiver=False,
    sight_glass=False,
    cabinet=False,
    liquid_buffer=0.10,
    cycling=False,
    min_speed=0.3,
    defrost_every_h=None,
    defrost_minutes=0.0,
    hours="operating",
    evap_td_k=16.0,
    cond_approach_k=15.0,
    min_condensing_c=None,
    superheat_k=5.0,
    subcooling_k=7.0,
    medium_dt_k=10.0,
    design_load=0.75,
    differential_k=1.0,
    kg_per_kw=0.8,
    motor_heat_k=8.0,
    isentropic_efficiency=0.8,
)
_CHILLER = replace(
    _PACKAGE_AC,
    setpoint_c=7.0,
    setpoint_range_c=(4.0, 15.0),
    medium="water",
    sight_glass=True,
    liquid_buffer=0.15,
    cycling=True,
    min_speed=1.0,
    evap_td_k=5.0,
    cond_approach_k=15.0,
    subcooling_k=6.0,
    medium_dt_k=5.0,
    kg_per_kw=0.7,
    cycle_minutes=30.0,
)
# Water-cooled centrifugal machine with a flooded evaporator: the "receiver" level is the evaporator's.
_TURBO_CHILLER = replace(
    _CHILLER,
    receiver=True,
    sight_glass=False,
    liquid_buffer=0.25,
    cycling=False,
    min_speed=0.3,
    condenser="water",
    evap_td_k=2.0,
    cond_approach_k=4.0,
    superheat_k=1.0,
    subcooling_k=3.0,
    design_load=0.65,
    kg_per_kw=1.6,
    volts=400.0,
    cycle_minutes=60.0,
    motor_heat_k=0.0,
    isentropic_efficiency=0.8,
)

PROFILES: Mapping[EquipmentKind, KindProfile] = MappingProxyType(
    {
        EquipmentKind.SHOWCASE_REMOTE: _SHOWCASE_REMOTE,
        EquipmentKind.SHOWCASE_BUILTIN: _SHOWCASE_BUILTIN,
        EquipmentKind.REFRIGERATOR: replace(
            _SHOWCASE_BUILTIN,
            defrost_every_h=8.0,
            medium_dt_k=5.0,
            design_load=0.5,
            door_events_per_h=12.0,
            kg_per_kw=0.6,
            volts=100.0,
        ),
        EquipmentKind.COLD_ROOM: _COLD_ROOM,
        EquipmentKind.CONDENSING_UNIT: replace(_COLD_ROOM, setpoint_c=0.0, liquid_buffer=0.3, door_events_per_h=4.0),
        EquipmentKind.PACKAGE_AC: _PACKAGE_AC,
        EquipmentKind.CHILLER: _CHILLER,
        EquipmentKind.TURBO_CHILLER: _TURBO_CHILLER,
    }
)

_COMMON = frozenset(
    {
        "suction_pressure_mpag",
        "discharge_pressure_mpag",
        "discharge_temp_c",
        "suction_temp_c",
        "liquid_temp_c",
        "evap_sat_temp_c",
        "cond_sat_temp_c",
        "compressor_voltage_v",
        "compressor_current_a",
        "compressor_power_kw",
        "compressor_shell_temp_c",
        "cabinet_setpoint_c",
        "ambient_temp_c",
        "compressor_on",
    }
)


def uses_purge_unit(kind: EquipmentKind, refrigerant: str) -> bool:
    """A turbo chiller on a low-pressure refrigerant (R123, R1233zd(E), ...) whose evaporator runs below
    atmospheric pressure, so air leaks in and is purged (REGULATION.md (c) row j)."""
    return kind is EquipmentKind.TURBO_CHILLER and is_low_pressure(refrigerant)


@cache
def channels_for(kind: EquipmentKind, refrigerant: str) -> tuple[str, ...]:
    """The channel keys a unit of ``kind`` reports, in channels.csv order.

    ``cabinet_setpoint_c`` carries the room setpoint of an air conditioner and the leaving-water setpoint
    of a chiller. ``vibration_mm_s`` is never simulated.
    """
    profile = PROFILES[kind]
    keys = set(_COMMON)
    keys |= {"air_in_temp_c", "air_out_temp_c"} if profile.medium == "air" else {"chw_in_temp_c", "chw_out_temp_c"}
    optional = {
        "cabinet_temp_c": profile.cabinet,
        "receiver_level_pct": profile.receiver,
        "sight_glass_bubbles": profile.sight_glass,
        "defrost_on": profile.defrost_every_h is not None,
        "purge_count": uses_purge_unit(kind, refrigerant),
    }
    keys |= {key for key, present in optional.items() if present}
    return tuple(c.key for c in channels() if c.key in keys)
