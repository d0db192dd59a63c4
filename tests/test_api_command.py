"""`fluorowatch api`: the HTTP application alone, as the compose service `api` runs it (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from fluorowatch.runtime import free_port


def test_serves_readyz_on_the_given_port_and_stops(database_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_") and k != "DATABASE_URL"}
    command = [
        sys.executable,
        "-m",
        "fluorowatch",
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--exit-after",
        "8",
    ]
    with subprocess.Popen(
        command, env={**env, "DATABASE_URL": database_url}, stdout=subprocess.PIPE, text=True
    ) as proc:
        deadline, body = time.monotonic() + 30, None
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    body = json.loads(answer.read())
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert body == {"status": "ok"}
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert f"api: http://127.0.0.1:{port}/" in out and "api: stopped" in out
