"""Modbus TCP driver: polls a controller's registers and maps them to channel keys (issue 3).

A register map (inline, or a YAML file holding the same list) says where each channel of each circuit lives and
how to scale it: value = raw * scale + offset. Contiguous registers of one table are read in one request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Self, cast

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException

from edge_agent.drivers.base import DriverError
from edge_agent.reading import ChannelValue, Reading
from fluorowatch.domain.channels import ChannelType, channel

Table = Literal["holding", "input", "coil", "discrete_input"]
NumberType = Literal["int16", "uint16", "int32", "uint32", "float32"]

BIT_TABLES: frozenset[str] = frozenset({"coil", "discrete_input"})
# Modbus application protocol V1.1b3, 6.1-6.4: at most 2000 bits or 125 registers per read request.
MAX_SPAN: dict[str, int] = {"holding": 125, "input": 125, "coil": 2000, "discrete_input": 2000}
_WORDS: dict[str, int] = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2}


class RegisterEntry(BaseModel):
    """One channel of one circuit: where it lives on the device and how to turn the raw value into the unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str
    circuit: int = Field(default=1, ge=1)
    address: int = Field(ge=0, le=65535)
    table: Table
    data_type: NumberType = "uint16"  # ignored for coils and discrete inputs, which are booleans
    word_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    offset: float = 0.0

    @property
    def words(self) -> int:
        """Addresses taken: one per bit, one or two per number."""
        return 1 if self.table in BIT_TABLES else _WORDS[self.data_type]

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, key: str) -> str:
        try:
            channel(key)
        except KeyError:
            raise ValueError(f"unknown telemetry channel {key!r}: use a key of channels.csv") from None
        return key

    @model_validator(mode="after")
    def _check(self) -> Self:
        kind = channel(self.channel).type
        if self.address + self.words - 1 > 65535:
            raise ValueError(f"{self.data_type} at address {self.address} runs past the last address 65535")
        if self.table in BIT_TABLES and kind is not ChannelType.FLAG:
            raise ValueError(f"{self.table} is a single bit but {self.channel!r} is not a 0/1 channel")
        if self.table in BIT_TABLES and (self.scale, self.offset) != (1.0, 0.0):
            raise ValueError(f"scale and offset do not apply to {self.table} {self.channel!r}")
        return self


class ModbusDriverConfig(BaseModel):
    """A unit reached over Modbus TCP. A relative `registers_file` is taken from the directory given as
    validation context `config_dir` (the agent config's), else from the working directory."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["modbus"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    unit_id: int = Field(default=1, ge=0, le=255)  # the Modbus device id (unit identifier)
    timeout_s: float = Field(default=3.0, gt=0)
    registers: list[RegisterEntry] | None = None
    registers_file: Path | None = None
    _entries: tuple[RegisterEntry, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load_register_map(self, info: ValidationInfo) -> Self:
        if (self.registers is None) == (self.registers_file is None):
            raise ValueError("give exactly one of `registers` (inline) and `registers_file` (a YAML register map)")
        if self.registers_file is not None:
            config_dir = (info.context or {}).get("config_dir")
            path = Path(config_dir) / self.registers_file if config_dir else self.registers_file
            self._entries = load_register_map(path)
        else:
            self._entries = tuple(self.registers or ())
        _check_unique(self._entries)
        return self

    @property
    def register_map(self) -> tuple[RegisterEntry, ...]:
        return self._entries

    def create_driver(
        self, equipment: str, circuits: tuple[int, ...], sampling_interval_s: float, start: datetime
    ) -> ModbusDriver:
        """A driver for `equipment`; `ValueError` if the map and the unit's circuits disagree. Does not connect."""
        mapped = {entry.circuit for entry in self._entries}
        if stray := sorted(mapped - set(circuits)):
            raise ValueError(f"{equipment}: register map names circuit(s) {stray}, the unit has {list(circuits)}")
        if unmapped := sorted(set(circuits) - mapped):
            raise ValueError(f"{equipment}: no registers mapped for circuit(s) {unmapped}")
        client = ModbusTcpClient(self.host, port=self.port, timeout=self.timeout_s, retries=0)
        return ModbusDriver(client, equipment, circuits, self.unit_id, plan_requests(self._entries))


def load_register_map(path: Path) -> tuple[RegisterEntry, ...]:
    """The register entries of a YAML list; `ValueError` naming the file and the line of a bad entry."""
    try:
        text = path.read_text(encoding="utf-8")
        data, root = yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as exc:
        raise ValueError(f"cannot read register map {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"register map {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise ValueError(f"register map {path} must be a YAML list of register entries")
    return tuple(_entry(path, node.start_mark.line + 1, item) for node, item in zip(root.value, data, strict=True))


def _entry(path: Path, line: int, item: object) -> RegisterEntry:
    try:
        return RegisterEntry.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        raise ValueError(f"{path} line {line}: {problems}") from None


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    return f"{'.'.join(map(str, loc)) or 'entry'}: {message.removeprefix('Value error, ')}"


def _check_unique(entries: Sequence[RegisterEntry]) -> None:
    if not entries:
        raise ValueError("the register map is empty")
    seen: set[tuple[str, int]] = set()
    for entry in entries:
        if (entry.channel, entry.circuit) in seen:
            raise ValueError(f"channel {entry.channel!r} of circuit {entry.circuit} is mapped twice")
        seen.add((entry.channel, entry.circuit))


@dataclass(frozen=True)
class ReadRequest:
    """One read request: `count` addresses of `table` from `address`, covering `entries`."""

    table: Table
    address: int
    count: int
    entries: tuple[RegisterEntry, ...]


def plan_requests(entries: Sequence[RegisterEntry]) -> tuple[ReadRequest, ...]:
    """As few requests as possible: contiguous or overlapping entries of a table share one, up to the span limit.
    Gaps are never bridged, since reading an address the device does not define fails the whole request."""
    requests: list[ReadRequest] = []
    for table, span in MAX_SPAN.items():
        group: list[RegisterEntry] = []
        end = 0
        for entry in sorted((e for e in entries if e.table == table), key=lambda e: e.address):
            if group and (entry.address > end or max(end, entry.address + entry.words) - group[0].address > span):
                requests.append(_request(group, end))
                group = []
            end = max(end, entry.address + entry.words) if group else entry.address + entry.words
            group.append(entry)
        if group:
            requests.append(_request(group, end))
    return tuple(requests)


def _request(group: list[RegisterEntry], end: int) -> ReadRequest:
    return ReadRequest(group[0].table, group[0].address, end - group[0].address, tuple(group))


class ModbusDriver:
    """Polls one device; every failure is a `DriverError`, and the next `read` reconnects."""

    def __init__(
        self,
        client: ModbusTcpClient,
        equipment: str,
        circuits: tuple[int, ...],
        unit_id: int,
        requests: tuple[ReadRequest, ...],
    ) -> None:
        self._client, self._equipment, self._circuits = client, equipment, circuits
        self._unit_id, self._requests = unit_id, requests
        params = client.comm_params
        self._where = f"modbus {params.host}:{params.port} device {unit_id} ({equipment})"

    def read(self, now: datetime) -> list[Reading]:
        """One poll: a reading per circuit, measured at `now`."""
        values: dict[int, dict[str, ChannelValue]] = {circuit: {} for circuit in self._circuits}
        for request, data in zip(self._requests, self._poll(), strict=True):
            for entry in request.entries:
                at = entry.address - request.address
                values[entry.circuit][entry.channel] = decode(entry, data[at : at + entry.words])
        return [Reading(self._equipment, circuit, now, channel_values) for circuit, channel_values in values.items()]

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def _poll(self) -> list[Sequence[int] | Sequence[bool]]:
        try:
            return [self._execute(request) for request in self._requests]
        except ConnectionException:
            self.close()  # the link dropped (device or gateway restarted): reconnect once within this poll
        except (ModbusException, OSError) as exc:
            raise self._failure(exc) from exc
        try:
            return [self._execute(request) for request in self._requests]
        except (ModbusException, OSError) as exc:
            raise self._failure(exc) from exc

    def _execute(self, request: ReadRequest) -> Sequence[int] | Sequence[bool]:
        read = {
            "holding": self._client.read_holding_registers,
            "input": self._client.read_input_registers,
            "coil": self._client.read_coils,
            "discrete_input": self._client.read_discrete_inputs,
        }[request.table]
        response = read(request.address, count=request.count, device_id=self._unit_id)
        last = request.address + request.count - 1
        if response.isError():
            code = getattr(response, "exception_code", "?")
            raise DriverError(f"{self._where}: {request.table} {request.address}-{last}: Modbus exception {code}")
        data = response.bits if request.table in BIT_TABLES else response.registers
        if len(data) < request.count:
            raise DriverError(f"{self._where}: {request.table} {request.address}-{last}: short response")
        return data

    def _failure(self, exc: Exception) -> DriverError:
        self.close()
        return DriverError(f"{self._where}: {exc}")


def decode(entry: RegisterEntry, data: Sequence[int] | Sequence[bool]) -> ChannelValue:
    """The channel value of `entry` from its raw words or bit, typed by the channel (0/1, count, measurement)."""
    if entry.table in BIT_TABLES:
        return bool(data[0])
    data_type = ModbusTcpClient.DATATYPE[entry.data_type.upper()]
    # one value of a scalar type comes back as a scalar (int, or float for float32)
    raw = ModbusTcpClient.convert_from_registers([int(word) for word in data], data_type, entry.word_order)
    value = cast(float, raw) * entry.scale + entry.offset
    if not math.isfinite(value):
        return None  # a float32 NaN is how many controllers report a failed sensor
    kind = channel(entry.channel).type
    if kind is ChannelType.FLAG:
        return value != 0
    if kind is ChannelType.COUNT:
        return round(value)
    return float(value)
