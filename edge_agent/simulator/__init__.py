"""A quasi-steady vapour-compression simulator of commercial refrigeration and air-conditioning units.

It stands in for real equipment in the demo, the tests and the detector benchmarks: ``simulate`` a unit
with faults (leaks and the confounders that are not leaks), write its readings in the replay CSV format
with the ground truth beside them, or read it live through ``SimulatorDriverConfig.create_driver``.
"""

from edge_agent.simulator.driver import SimulatorDriver, SimulatorDriverConfig
from edge_agent.simulator.run import (
    CircuitTrace,
    SimulationResult,
    simulate,
    simulate_window,
    to_readings,
    write_ground_truth_csv,
    write_readings_csv,
)
from edge_agent.simulator.scenario import (
    CondenserFouling,
    EvaporatorIcing,
    Fault,
    HeatWave,
    Leak,
    Overcharge,
    SensorDrift,
    SetpointChange,
    SimulatedUnit,
)
from fluorowatch.domain.saturation import SaturationTable, UnsupportedRefrigerant, saturation_table

__all__ = [
    "CircuitTrace",
    "CondenserFouling",
    "EvaporatorIcing",
    "Fault",
    "HeatWave",
    "Leak",
    "Overcharge",
    "SaturationTable",
    "SensorDrift",
    "SetpointChange",
    "SimulatedUnit",
    "SimulationResult",
    "SimulatorDriver",
    "SimulatorDriverConfig",
    "UnsupportedRefrigerant",
    "saturation_table",
    "simulate",
    "simulate_window",
    "to_readings",
    "write_ground_truth_csv",
    "write_readings_csv",
]
