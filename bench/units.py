"""One typical unit per kind (refrigerant, charge in kg), shared by the benchmarks."""

from __future__ import annotations

from fluorowatch.domain.equipment import EquipmentKind

UNITS = {
    EquipmentKind.SHOWCASE_REMOTE: ("R404A", 12.0),
    EquipmentKind.SHOWCASE_BUILTIN: ("R404A", 0.8),
    EquipmentKind.REFRIGERATOR: ("R134a", 0.3),
    EquipmentKind.COLD_ROOM: ("R448A", 8.0),
    EquipmentKind.CONDENSING_UNIT: ("R410A", 15.0),
    EquipmentKind.PACKAGE_AC: ("R32", 4.0),
    EquipmentKind.CHILLER: ("R410A", 25.0),
    EquipmentKind.TURBO_CHILLER: ("R123", 400.0),
}
