"""The Modbus driver against a real pymodbus TCP server (tests/drivers/conftest.py holds its registers)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge_agent.drivers.base import DriverError
from edge_agent.drivers.modbus import ModbusDriver, ModbusDriverConfig

NOW = datetime(2025, 7, 1, 3, 0, tzinfo=UTC)

REGISTER_MAP: list[dict[str, Any]] = [
    {"channel": "suction_pressure_mpag", "table": "holding", "address": 0, "scale": 0.001},
    {"channel": "liquid_temp_c", "table": "holding", "address": 1, "data_type": "int16", "scale": 0.1},
    {"channel": "compressor_current_a", "table": "holding", "address": 2, "data_type": "float32"},
    {
        "channel": "compressor_power_kw",
        "table": "holding",
        "address": 4,
        "data_type": "float32",
        "word_order": "little",
    },
    {"channel": "cond_sat_temp_c", "table": "holding", "address": 6, "data_type": "int32", "scale": 0.001},
    {"channel": "purge_count", "table": "holding", "address": 8, "data_type": "uint32", "word_order": "little"},
    {"channel": "compressor_on", "table": "holding", "address": 10},
    {"channel": "compressor_shell_temp_c", "table": "holding", "address": 11, "data_type": "float32"},
    {"channel": "cabinet_temp_c", "table": "input", "address": 0, "scale": 0.1, "offset": -40},
    {"channel": "defrost_on", "table": "coil", "address": 1},
    {"channel": "suction_pressure_mpag", "circuit": 2, "table": "input", "address": 1, "scale": 0.01},
    {"channel": "sight_glass_bubbles", "circuit": 2, "table": "discrete_input", "address": 3},
]

CIRCUIT_1 = {
    "suction_pressure_mpag": pytest.approx(1.234),
    "liquid_temp_c": pytest.approx(-5.0),
    "compressor_current_a": 12.5,
    "compressor_power_kw": 3.25,
    "cond_sat_temp_c": pytest.approx(-123.456),
    "purge_count": 70000,
    "compressor_on": True,
    "compressor_shell_temp_c": None,
    "cabinet_temp_c": pytest.approx(-18.5),
    "defrost_on": True,
}
CIRCUIT_2 = {"suction_pressure_mpag": pytest.approx(3.0), "sight_glass_bubbles": True}


def make_driver(
    server: Any, registers: list[dict[str, Any]] = REGISTER_MAP, circuits: tuple[int, ...] = (1, 2)
) -> ModbusDriver:
    config = ModbusDriverConfig.model_validate(
        {
            "type": "modbus",
            "host": "127.0.0.1",
            "port": server.port,
            "unit_id": server.device_id,
            "timeout_s": 1,
            "registers": registers,
        }
    )
    return config.create_driver("RC-01", circuits, 60.0, NOW)


def test_it_decodes_and_scales_every_table_and_number_type(modbus_server: Any) -> None:
    driver = make_driver(modbus_server)
    try:
        first, second = driver.read(NOW)
    finally:
        driver.close()
    assert (first.equipment, first.circuit, first.ts) == ("RC-01", 1, NOW)
    assert dict(first.values) == CIRCUIT_1
    assert (second.circuit, second.ts, dict(second.values)) == (2, NOW, CIRCUIT_2)


def test_values_take_the_type_of_their_channel(modbus_server: Any) -> None:
    driver = make_driver(modbus_server)
    values = driver.read(NOW)[0].values
    driver.close()
    assert type(values["compressor_on"]) is bool and type(values["defrost_on"]) is bool
    assert type(values["purge_count"]) is int
    assert type(values["suction_pressure_mpag"]) is float and type(values["compressor_current_a"]) is float


def test_contiguous_registers_of_a_table_are_read_in_one_request(modbus_server: Any) -> None:
    driver = make_driver(modbus_server)
    driver.read(NOW)
    driver.close()
    # function codes: 1 coils, 2 discrete inputs, 3 holding registers (addresses 0-12 at once), 4 input registers
    assert sorted(modbus_server.requests) == [1, 2, 3, 4]


def test_it_reads_the_register_map_from_a_yaml_file(modbus_server: Any, tmp_path: Path) -> None:
    (tmp_path / "rc01.yaml").write_text(yaml.safe_dump(REGISTER_MAP), encoding="utf-8")
    config = ModbusDriverConfig.model_validate(
        {
            "type": "modbus",
            "host": "127.0.0.1",
            "port": modbus_server.port,
            "unit_id": modbus_server.device_id,
            "registers_file": "rc01.yaml",
        },
        context={"config_dir": tmp_path},
    )
    driver = config.create_driver("RC-01", (1, 2), 60.0, NOW)
    first, second = driver.read(NOW)
    driver.close()
    assert dict(first.values) == CIRCUIT_1 and dict(second.values) == CIRCUIT_2


def test_a_stopped_server_gives_a_driver_error_and_a_restarted_one_reads_again(modbus_server: Any) -> None:
    driver = make_driver(modbus_server)
    assert len(driver.read(NOW)) == 2
    modbus_server.stop()
    for _ in range(2):  # the dropped connection, then the refused reconnect
        with pytest.raises(DriverError, match=rf"modbus 127\.0\.0\.1:{modbus_server.port} device 7 \(RC-01\)"):
            driver.read(NOW)
    modbus_server.start()
    assert dict(driver.read(NOW)[0].values) == CIRCUIT_1
    driver.close()


def test_a_server_restarted_between_polls_is_read_after_one_reconnect(modbus_server: Any) -> None:
    driver = make_driver(modbus_server)
    driver.read(NOW)
    modbus_server.stop()
    modbus_server.start()
    assert dict(driver.read(NOW)[0].values) == CIRCUIT_1
    driver.close()


def test_an_address_the_device_lacks_gives_a_driver_error_naming_it(modbus_server: Any) -> None:
    registers = [{"channel": "ambient_temp_c", "table": "holding", "address": 500}]
    driver = make_driver(modbus_server, registers, circuits=(1,))
    with pytest.raises(DriverError, match=r"holding 500-500: Modbus exception 2"):
        driver.read(NOW)
    driver.close()


def test_the_driver_does_not_connect_before_the_first_read() -> None:
    config = ModbusDriverConfig.model_validate(
        {"type": "modbus", "host": "127.0.0.1", "port": 1, "registers": REGISTER_MAP[:1]}
    )
    driver = config.create_driver("RC-01", (1,), 60.0, NOW)  # nothing listens on port 1
    with pytest.raises(DriverError, match=r"127\.0\.0\.1:1 "):
        driver.read(NOW)
    driver.close()
