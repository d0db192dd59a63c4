"""The agent's metrics and health as a real process: the on-disk queue depth rises while the broker is
unreachable and falls once it is back; /readyz follows the broker connection; published messages are counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from fluorowatch.runtime import free_port

from .conftest import START, PrivateMosquitto


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _metric(port: int, name: str) -> float:
    status, body = _get(port, "/metrics")
    if status != 200:
        return -1.0
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    return 0.0


def _wait(predicate: Callable[[], bool], timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)
    return predicate()


def test_queue_depth_rises_while_the_broker_is_away_and_falls_when_it_is_back(
    tmp_path: Path, private_broker: PrivateMosquitto
) -> None:
    lines = [f"{(START + timedelta(seconds=i)).isoformat()},{0.3 + i / 10000:.4f}" for i in range(3600)]
    (tmp_path / "readings.csv").write_text("ts,suction_pressure_mpag\n" + "\n".join(lines) + "\n")
    port = free_port()
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"agent_id: gw-metrics\nsite: S-1\ntopic_prefix: fwmetrics\nsampling_interval_s: 0.2\nmetrics_port: {port}\n"
        f"broker: {{url: 'mqtt://127.0.0.1:{private_broker.port}'}}\nqueue: {{path: queue.sqlite}}\n"
        "units:\n  - equipment: SC-01\n    driver: {type: csv_replay, path: readings.csv, timing: rebase}\n"
    )
    private_broker.stop()  # one reading a second can only go to the queue
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_")}
    agent = subprocess.Popen([sys.executable, "-m", "fluorowatch", "agent", "--config", str(config)], env=env)
    try:
        assert _wait(lambda: _get(port, "/healthz")[0] == 200)
        assert _get(port, "/readyz")[0] == 503
        assert _wait(lambda: _metric(port, "fw_agent_queue_depth") >= 2)
        first = _metric(port, "fw_agent_queue_depth")
        assert _wait(lambda: _metric(port, "fw_agent_queue_depth") >= first + 2)
        assert _metric(port, "fw_agent_published_total") == 0
        assert _get(port, "/readyz")[0] == 503

        private_broker.start()
        assert _wait(lambda: _get(port, "/readyz")[0] == 200, timeout_s=90)
        assert _wait(lambda: _metric(port, "fw_agent_queue_depth") <= 1, timeout_s=30)
        assert _metric(port, "fw_agent_published_total") >= 1
        assert _metric(port, "fw_agent_readings_acknowledged_total") >= first + 2
    finally:
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0
