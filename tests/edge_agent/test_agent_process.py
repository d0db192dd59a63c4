"""The agent as a real process: killed with -9 and restarted, it loses no queued reading; SIGTERM is clean."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from .conftest import START, Collector, PrivateMosquitto

ROWS = 300


def _config(tmp_path: Path, port: int, csv_name: str) -> Path:
    path = tmp_path / f"agent-{csv_name}.yaml"
    path.write_text(
        f"agent_id: gw-kill\nsite: S-1\ntopic_prefix: fwkill\nsampling_interval_s: 0.2\n"
        f"broker: {{url: 'mqtt://127.0.0.1:{port}'}}\nqueue: {{path: queue.sqlite}}\n"
        f"units:\n  - equipment: SC-01\n    driver: {{type: csv_replay, path: {csv_name}}}\n"
    )
    return path


def _queued(tmp_path: Path) -> int:
    if not (tmp_path / "queue.sqlite").exists():
        return 0
    with sqlite3.connect(tmp_path / "queue.sqlite") as db:
        try:
            return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _agent(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_")}
    return subprocess.Popen([sys.executable, "-m", "fluorowatch", "agent", "--config", str(config)], env=env)


def test_a_killed_agent_sends_its_queue_after_restart(tmp_path: Path, private_broker: PrivateMosquitto) -> None:
    lines = [f"{(START + timedelta(minutes=i)).isoformat()},{0.3 + i / 1000:.3f}" for i in range(ROWS)]
    (tmp_path / "full.csv").write_text("ts,suction_pressure_mpag\n" + "\n".join(lines) + "\n")
    (tmp_path / "empty.csv").write_text("ts,suction_pressure_mpag\n")
    private_broker.stop()  # the readings can only reach the queue

    first = _agent(_config(tmp_path, private_broker.port, "full.csv"))
    deadline = time.monotonic() + 60
    while _queued(tmp_path) < ROWS and time.monotonic() < deadline:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert _queued(tmp_path) == ROWS

    private_broker.start()
    collector = Collector(private_broker.port, "fwkill")
    second = _agent(_config(tmp_path, private_broker.port, "empty.csv"))  # the source has nothing new
    collector.wait_for(ROWS, timeout_s=60)
    second.send_signal(signal.SIGTERM)
    assert second.wait(20) == 0
    collector.close()

    keys = collector.keys()
    assert {k[2] for k in keys} == {START + timedelta(minutes=i) for i in range(ROWS)}
    assert [ts for _, _, ts in dict.fromkeys(keys)] == sorted({ts for _, _, ts in keys})
    assert _queued(tmp_path) == 0
