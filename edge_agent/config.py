"""The agent's YAML configuration, validated strictly: a typo or bad value fails at start-up, naming the
key and the line of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from edge_agent.drivers.csv_replay import CsvReplayDriverConfig
from edge_agent.drivers.modbus import ModbusDriverConfig
from edge_agent.errors import ConfigError
from edge_agent.link import BrokerAddress
from edge_agent.payload import TOPIC_SEGMENT
from edge_agent.simulator.driver import SimulatorDriverConfig
from edge_agent.store import DEFAULT_MAX_READINGS
from fluorowatch.domain.channels import channel

M = TypeVar("M", bound=BaseModel)
DriverConfig = Annotated[
    SimulatorDriverConfig | ModbusDriverConfig | CsvReplayDriverConfig, Field(discriminator="type")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _beside_config(path: Path | None, info: ValidationInfo) -> Path | None:
    """A relative path in the file is relative to the file's folder, not to the working directory."""
    config_dir = (info.context or {}).get("config_dir")
    return Path(config_dir) / path if path is not None and config_dir and not path.is_absolute() else path


class TlsConfig(Strict):
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False

    _paths = field_validator("ca_file", "cert_file", "key_file")(_beside_config)


class BrokerConfig(Strict):
    url: str
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    tls: TlsConfig | None = None

    _paths = field_validator("password_file")(_beside_config)

    @field_validator("url")
    @classmethod
    def _mqtt_url(cls, url: str) -> str:
        BrokerAddress.parse(url)
        return url

    @model_validator(mode="after")
    def _one_password(self) -> BrokerConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give password or password_file, not both")
        return self

    def resolved_password(self) -> str | None:
        if self.password_file is not None:
            return self.password_file.read_text(encoding="utf-8").strip()
        return self.password


class QueueConfig(Strict):
    path: Path = Path("agent-queue.sqlite")
    max_readings: int = Field(default=DEFAULT_MAX_READINGS, ge=1)

    _paths = field_validator("path")(_beside_config)


class UnitConfig(Strict):
    equipment: str
    circuits: tuple[int, ...] = (1,)
    driver: DriverConfig
    channel_map: dict[str, str] = Field(default_factory=dict)  # driver's name -> canonical channel key

    @field_validator("equipment")
    @classmethod
    def _topic_safe(cls, value: str) -> str:
        return _topic_segment(value)

    @field_validator("circuits")
    @classmethod
    def _circuits(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or min(value) < 1 or len(set(value)) != len(value):
            raise ValueError("circuits must be distinct numbers from 1")
        return value

    @field_validator("channel_map")
    @classmethod
    def _canonical_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for target in value.values():
            channel(target)  # KeyError names an unknown channel
        return value


class AgentConfig(Strict):
    agent_id: str
    site: str
    topic_prefix: str = "fw"
    sampling_interval_s: float = Field(default=60.0, gt=0, le=3600)
    batch_max_readings: int = Field(default=100, ge=1, le=10_000)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # /metrics, /healthz, /readyz
    metrics_host: str = "127.0.0.1"
    broker: BrokerConfig
    queue: QueueConfig = QueueConfig()
    units: list[UnitConfig] = Field(min_length=1)

    @field_validator("agent_id", "site", "topic_prefix")
    @classmethod
    def _topic_safe(cls, value: str) -> str:
        return _topic_segment(value)

    @field_validator("units")
    @classmethod
    def _unique_units(cls, units: list[UnitConfig]) -> list[UnitConfig]:
        names = [u.equipment for u in units]
        if len(set(names)) != len(names):
            raise ValueError("each equipment may appear only once")
        return units


def load_agent_config(path: Path) -> AgentConfig:
    """Read and validate `path`; raise `ConfigError` with file, line and key of the first problem."""
    return load_yaml_model(path, AgentConfig)


def load_yaml_model(path: Path, model: type[M]) -> M:
    """`model` validated from the YAML file at `path`; relative paths in it are taken beside the file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return model.model_validate(data, context={"config_dir": path.parent})
    except ValidationError as exc:
        raise ConfigError(_describe(path, text, exc)) from None


def _describe(path: Path, text: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path}:{_line_of(yaml.compose(text), loc)}: {key}: {message}"


def _line_of(node: Any, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                continue  # e.g. a union tag or a missing key: stay on the parent
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
    return int(node.start_mark.line) + 1 if node is not None else 1


def _topic_segment(value: str) -> str:
    if not TOPIC_SEGMENT.match(value):
        raise ValueError("use 1-64 letters, digits, '.', '_' or '-' (it becomes an MQTT topic level)")
    return value
