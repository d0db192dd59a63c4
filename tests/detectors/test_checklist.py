"""The indirect-method checklist as the detectors read it (REGULATION.md (c), indirect_checks.csv)."""

from __future__ import annotations

import pytest

from detectors.checklist import ChecklistItem, Direction, applicable, checklist
from fluorowatch.domain.channels import channels


def _item(key: str) -> ChecklistItem:
    return next(i for i in checklist() if i.key == key)


def test_every_judged_row_of_the_checklist_is_present_and_reads_a_real_channel_or_derived_value() -> None:
    keys = [i.key for i in checklist()]
    assert keys == [
        "suction_pressure", "discharge_pressure", "discharge_gas_temperature", "compressor_motor_voltage",
        "compressor_motor_current", "superheat", "subcooling", "compressor_overheat", "air_temperature_difference",
        "chilled_water_temperature_difference", "pipe_vibration", "sight_glass_bubbles", "refrigerant_liquid_level",
        "purge_count",
    ]  # fmt: skip
    channel_keys = {c.key for c in channels()}
    derived = {"superheat_k", "subcooling_k", "air_dt_k", "water_dt_k"}
    assert all(i.source in channel_keys | derived for i in checklist())


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("suction_pressure", Direction.LOW),  # row a ①
        ("discharge_pressure", Direction.LOW),  # row a ②
        ("discharge_gas_temperature", Direction.HIGH),  # row b
        ("compressor_motor_current", Direction.LOW),  # row c ⑩
        ("superheat", Direction.HIGH),  # row d
        ("subcooling", Direction.LOW),  # row e
        ("air_temperature_difference", Direction.LOW),  # row g
        ("sight_glass_bubbles", Direction.PRESENCE),  # row i
        ("refrigerant_liquid_level", Direction.LOW),  # row j
    ],
)
def test_each_row_suspects_a_leak_in_the_checklists_direction(key: str, direction: Direction) -> None:
    item = _item(key)
    assert item.direction is direction
    if direction is Direction.LOW:
        assert item.is_leak_like(9.0, 10.0, 0.5) and not item.is_leak_like(11.0, 10.0, 0.5)
    elif direction is Direction.HIGH:
        assert item.is_leak_like(11.0, 10.0, 0.5) and not item.is_leak_like(9.0, 10.0, 0.5)
    else:
        assert item.is_leak_like(1.0, 0.0, 0.0) and not item.is_leak_like(0.0, 0.0, 0.0)


def test_a_change_inside_the_tolerance_is_not_a_finding() -> None:
    assert not _item("subcooling").is_leak_like(9.6, 10.0, 0.5)


def test_each_row_names_the_cause_to_rule_out_first() -> None:
    """Checklist note 3: a row passes when the change is shown to come from the listed cause."""
    assert "control" in _item("suction_pressure").rule_out  # rows a, c, h: change caused by control
    assert "expansion-valve" in _item("superheat").rule_out  # rows b, d, f: blockage or expansion-valve failure
    assert "small heat load" in _item("air_temperature_difference").rule_out  # row g, 1st version ((n) #4)
    assert "large heat load" in _item("sight_glass_bubbles").rule_out  # row i
    assert _item("subcooling").rule_out == ""  # row e: nothing listed


def test_only_the_rows_a_unit_can_measure_apply() -> None:
    showcase = {"suction_pressure_mpag", "discharge_pressure_mpag", "suction_temp_c", "liquid_temp_c",
                "air_in_temp_c", "air_out_temp_c", "compressor_current_a"}  # fmt: skip
    keys = {i.key for i in applicable(showcase)}
    assert keys == {"suction_pressure", "discharge_pressure", "superheat", "subcooling", "air_temperature_difference",
                    "compressor_motor_current"}  # fmt: skip
    assert "sight_glass_bubbles" not in keys  # no sight glass, no row i


def test_liquid_level_and_purge_rows_apply_to_low_pressure_turbo_chillers_only() -> None:
    """Row j (冷媒液面) and the purge count: turbo chillers using low-pressure refrigerant (REGULATION.md (c))."""
    with_level = {"receiver_level_pct", "purge_count", "liquid_temp_c", "discharge_pressure_mpag"}
    assert "refrigerant_liquid_level" not in {i.key for i in applicable(with_level)}
    turbo = {i.key for i in applicable(with_level, low_pressure_turbo=True)}
    assert {"refrigerant_liquid_level", "purge_count"} <= turbo
