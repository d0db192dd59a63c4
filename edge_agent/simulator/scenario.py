"""What to simulate: one unit (kind, refrigerant, charge, seed) and the faults that happen to it.

Validated with pydantic (``extra="forbid"``) so that a typo in a scenario fails with the key's name.
All datetimes must carry a timezone offset.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from edge_agent.simulator.kinds import PROFILES, channels_for
from fluorowatch.domain.channels import channel as channel_spec
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.saturation import saturation_table

__all__ = [
    "CondenserFouling",
    "EvaporatorIcing",
    "Fault",
    "HeatWave",
    "Leak",
    "Overcharge",
    "SensorDrift",
    "SetpointChange",
    "SimulatedUnit",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leak(_Model):
    """Refrigerant escaping at ``rate_pct_per_day`` of the nominal charge from ``onset``.

    ``step_pct`` of the nominal charge is lost at once at onset (a crack opening). Rates from a few %
    per year (0.01 %/day) to several % per day are realistic; the bound is 50 %/day.
    """

    type: Literal["leak"] = "leak"
    onset: AwareDatetime
    rate_pct_per_day: float = Field(gt=0, le=50)
    step_pct: float = Field(default=0.0, ge=0, le=90)
    circuit: int = Field(default=1, ge=1)


class CondenserFouling(_Model):
    """Dirt on the condenser: heat rejection degrades, ramping linearly to ``severity`` over ``ramp_days``."""

    type: Literal["condenser_fouling"] = "condenser_fouling"
    onset: AwareDatetime
    severity: float = Field(gt=0, le=1)
    ramp_days: float = Field(default=10.0, gt=0)
    circuit: int = Field(default=1, ge=1)


class EvaporatorIcing(_Model):
    """Frost the defrost no longer clears (failed heater, iced coil), ramping to ``severity`` over ``ramp_days``."""

    type: Literal["evaporator_icing"] = "evaporator_icing"
    onset: AwareDatetime
    severity: float = Field(gt=0, le=1)
    ramp_days: float = Field(default=2.0, gt=0)
    circuit: int = Field(default=1, ge=1)


class HeatWave(_Model):
    """Outdoor air ``delta_k`` warmer than the weather model for ``days`` from ``start`` (half-day ramps)."""

    type: Literal["heat_wave"] = "heat_wave"
    start: AwareDatetime
    days: float = Field(gt=0, le=60)
    delta_k: float = Field(gt=0, le=15)


class SetpointChange(_Model):
    """The operator changes the inside (room, leaving-water) setpoint to ``new_setpoint_c`` at ``at``."""

    type: Literal["setpoint_change"] = "setpoint_change"
    at: AwareDatetime
    new_setpoint_c: float


class SensorDrift(_Model):
    """One sensor drifts by ``drift_per_day`` of its channel's unit per day from ``onset``."""

    type: Literal["sensor_drift"] = "sensor_drift"
    onset: AwareDatetime
    channel: str
    drift_per_day: float
    circuit: int = Field(default=1, ge=1)

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, key: str) -> str:
        try:
            unit = channel_spec(key).unit
        except KeyError:
            raise ValueError(f"unknown channel {key!r}; use a key of channels.csv") from None
        if unit in ("0/1", "count"):
            raise ValueError(f"channel {key!r} is a {unit} value; only measured channels can drift")
        return key


class Overcharge(_Model):
    """A service visit adds ``pct`` of the nominal charge at ``at`` (overcharge after service)."""

    type: Literal["overcharge"] = "overcharge"
    at: AwareDatetime
    pct: float = Field(gt=0, le=50)
    circuit: int = Field(default=1, ge=1)


Fault = Annotated[
    Leak | CondenserFouling | EvaporatorIcing | HeatWave | SetpointChange | SensorDrift | Overcharge,
    Field(discriminator="type"),
]


class SimulatedUnit(_Model):
    """One simulated Class-1 unit. Everything else about it (size, control settings, sensor offsets)
    follows from ``seed``, so two units differ unless they share kind, charge and seed."""

    kind: EquipmentKind
    refrigerant: str
    charge_kg: float = Field(gt=0, le=5000)
    seed: int = Field(ge=0, lt=2**63)
    cabinet_setpoint_c: float | None = None
    circuits: int = Field(default=1, ge=1, le=16)
    faults: tuple[Fault, ...] = ()

    @field_validator("refrigerant")
    @classmethod
    def _supported_refrigerant(cls, name: str) -> str:
        return saturation_table(name).refrigerant  # canonical name; UnsupportedRefrigerant names it

    @model_validator(mode="after")
    def _consistent(self) -> SimulatedUnit:
        low, high = PROFILES[self.kind].setpoint_range_c
        setpoints = [f.new_setpoint_c for f in self.faults if isinstance(f, SetpointChange)]
        for value in [self.setpoint_c, *setpoints]:
            if not low <= value <= high:
                raise ValueError(f"setpoint {value} °C is outside {low}..{high} °C for a {self.kind.value}")
        for fault in self.faults:
            self._check_fault(fault)
        return self

    def _check_fault(self, fault: Fault) -> None:
        circuit = getattr(fault, "circuit", 1)
        if circuit > self.circuits:
            raise ValueError(f"{fault.type} on circuit {circuit}, but the unit has {self.circuits} circuit(s)")
        if isinstance(fault, SensorDrift) and fault.channel not in channels_for(self.kind, self.refrigerant):
            raise ValueError(f"sensor_drift on channel {fault.channel!r}, which a {self.kind.value} does not report")
        if isinstance(fault, EvaporatorIcing) and PROFILES[self.kind].medium != "air":
            raise ValueError(f"evaporator_icing needs an air-cooling evaporator; a {self.kind.value} cools water")

    @property
    def setpoint_c(self) -> float:
        """The inside temperature setpoint: cabinet, room (air conditioners) or leaving water (chillers)."""
        if self.cabinet_setpoint_c is not None:
            return self.cabinet_setpoint_c
        return PROFILES[self.kind].setpoint_c
