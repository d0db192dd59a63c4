"""The Modbus register map: validation at start-up and the planning of read requests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from edge_agent.drivers.modbus import ModbusDriverConfig, RegisterEntry, plan_requests

NOW = datetime(2025, 7, 1, tzinfo=UTC)
SUCTION = {"channel": "suction_pressure_mpag", "table": "holding", "address": 0}


def config(**fields: Any) -> ModbusDriverConfig:
    return ModbusDriverConfig.model_validate({"type": "modbus", "host": "10.0.0.5", **fields})


def entry(**fields: Any) -> RegisterEntry:
    return RegisterEntry.model_validate({**SUCTION, **fields})


def test_defaults_are_port_502_device_1_circuit_1_big_endian_unscaled() -> None:
    parsed = config(registers=[SUCTION])
    assert (parsed.port, parsed.unit_id) == (502, 1)
    only = parsed.register_map[0]
    assert (only.circuit, only.data_type, only.word_order, only.scale, only.offset) == (1, "uint16", "big", 1.0, 0.0)


def test_an_unknown_channel_is_rejected_naming_it() -> None:
    with pytest.raises(ValidationError, match="unknown telemetry channel 'suction_presure'"):
        config(registers=[{**SUCTION, "channel": "suction_presure"}])


@pytest.mark.parametrize("fields", [{}, {"registers": [SUCTION], "registers_file": "map.yaml"}])
def test_it_needs_exactly_one_of_registers_and_registers_file(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of `registers`"):
        config(**fields)


@pytest.mark.parametrize("address", [-1, 65536, 70000])
def test_an_address_outside_0_to_65535_is_rejected(address: int) -> None:
    with pytest.raises(ValidationError, match=r"registers\.0\.address"):
        config(registers=[{**SUCTION, "address": address}])


def test_a_two_word_number_at_the_last_address_is_rejected() -> None:
    with pytest.raises(ValidationError, match="runs past the last address 65535"):
        entry(address=65535, data_type="float32")


def test_a_coil_can_only_feed_a_0_1_channel() -> None:
    with pytest.raises(ValidationError, match="'suction_pressure_mpag' is not a 0/1 channel"):
        entry(table="coil")
    assert entry(channel="defrost_on", table="coil").words == 1


def test_a_circuit_must_be_1_or_more() -> None:
    with pytest.raises(ValidationError, match=r"circuit"):
        entry(circuit=0)


def test_a_channel_mapped_twice_for_one_circuit_is_rejected() -> None:
    with pytest.raises(ValidationError, match="'suction_pressure_mpag' of circuit 1 is mapped twice"):
        config(registers=[SUCTION, {**SUCTION, "address": 9}])


def test_a_misspelt_key_is_rejected() -> None:
    with pytest.raises(ValidationError, match="scael"):
        config(registers=[{**SUCTION, "scael": 0.1}])


def test_a_bad_entry_in_the_register_map_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(
        "- {channel: suction_pressure_mpag, table: holding, address: 0}\n"
        "- channel: liquid_temp_c\n"
        "  table: holding\n"
        "- channel: nonsense\n"
        "  table: holding\n"
        "  address: 2\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"map\.yaml line 2: address: Field required"):
        config(registers_file=str(path))
    path.write_text("- {channel: nonsense, table: input, address: 0}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"map\.yaml line 1: channel: unknown telemetry channel 'nonsense'"):
        config(registers_file=str(path))


def test_a_missing_or_non_list_register_map_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read register map"):
        config(registers_file=str(tmp_path / "absent.yaml"))
    (tmp_path / "map.yaml").write_text("channel: suction_pressure_mpag\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="must be a YAML list"):
        config(registers_file=str(tmp_path / "map.yaml"))


def test_the_register_map_must_cover_exactly_the_units_circuits() -> None:
    parsed = config(registers=[SUCTION, {**SUCTION, "circuit": 3}])
    with pytest.raises(ValueError, match=r"names circuit\(s\) \[3\], the unit has \[1, 2\]"):
        parsed.create_driver("RC-01", (1, 2), 60.0, NOW)
    with pytest.raises(ValueError, match=r"no registers mapped for circuit\(s\) \[2\]"):
        config(registers=[SUCTION]).create_driver("RC-01", (1, 2), 60.0, NOW)


def spans(entries: list[RegisterEntry]) -> list[tuple[str, int, int]]:
    return [(request.table, request.address, request.count) for request in plan_requests(entries)]


def test_contiguous_registers_share_a_request_and_a_gap_splits_it() -> None:
    entries = [
        entry(channel="suction_pressure_mpag", address=10),
        entry(channel="liquid_temp_c", address=11, data_type="float32"),
        entry(channel="ambient_temp_c", address=13),
        entry(channel="cabinet_temp_c", address=20),
        entry(channel="air_in_temp_c", table="input", address=11),
    ]
    assert spans(entries) == [("holding", 10, 4), ("holding", 20, 1), ("input", 11, 1)]


def test_a_request_never_spans_more_than_125_registers() -> None:
    keys = ["suction_pressure_mpag", "discharge_pressure_mpag", "discharge_temp_c"]
    entries = [
        entry(channel=key, circuit=circuit, address=(circuit - 1) * 3 + i, data_type="uint16")
        for circuit in range(1, 45)
        for i, key in enumerate(keys)
    ]  # addresses 0-131
    assert spans(entries) == [("holding", 0, 125), ("holding", 125, 7)]


def test_overlapping_entries_are_read_once() -> None:
    entries = [entry(address=0, data_type="int32"), entry(channel="liquid_temp_c", address=1)]
    assert spans(entries) == [("holding", 0, 2)]
