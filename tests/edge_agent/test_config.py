"""The agent's configuration: a mistake stops start-up with the file, line and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.config import load_agent_config
from edge_agent.errors import ConfigError

GOOD = """\
agent_id: gw-1
site: SM-TKY-001
broker:
  url: mqtt://127.0.0.1:1883
queue:
  path: queue/agent.sqlite
units:
  - equipment: SC-01
    circuits: [1]
    driver:
      type: csv_replay
      path: readings.csv
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    (tmp_path / "readings.csv").write_text("ts,suction_pressure_mpag\n")
    return path


def test_a_good_file_loads_with_paths_beside_the_file(tmp_path: Path) -> None:
    config = load_agent_config(_write(tmp_path, GOOD))
    assert config.sampling_interval_s == 60
    assert config.queue.path == tmp_path / "queue/agent.sqlite"
    assert config.queue.max_readings == 7 * 24 * 60 * 50  # 7 days at 60 s for 50 units (issue 3)
    assert config.units[0].driver.type == "csv_replay"


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("site: SM-TKY-001", "site: SM-TKY-001\nsampling_intreval_s: 30", ":3: sampling_intreval_s: Extra inputs"),
        ("url: mqtt://127.0.0.1:1883", "url: http://127.0.0.1", ":4: broker.url: expected mqtt://"),
        ("circuits: [1]", "circuits: [0]", ":9: units.0.circuits: circuits must be distinct"),
        ("type: csv_replay", "type: telepathy", ":11: units.0.driver: Input tag 'telepathy'"),
        ("path: readings.csv", "path: readings.csv\n      colour: blue", ":13: units.0.driver.csv_replay.colour"),
        ("site: SM-TKY-001", "site: SM/TKY", ":2: site: use 1-64 letters"),
    ],
)
def test_a_mistake_names_the_line_and_the_key(tmp_path: Path, old: str, new: str, where: str) -> None:
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_agent_config(path)
    assert str(error.value).startswith(str(path))
    assert where in str(error.value)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_agent_config(_write(tmp_path, "units: [unclosed"))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_agent_config(tmp_path / "absent.yaml")


def test_the_shipped_example_configuration_is_valid() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    config = load_agent_config(examples / "agent.yaml")
    assert [u.driver.type for u in config.units] == ["simulator", "simulator", "modbus"]
