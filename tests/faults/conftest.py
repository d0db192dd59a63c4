"""Fault injection (issue 11): a PRIVATE PostgreSQL cluster and a PRIVATE Mosquitto per test, on free loopback
ports, that the tests stop, kill and restart; real `fluorowatch ingest` and `fluorowatch agent` processes pointed
at them. The shared servers on 5432/1883 are never touched.

Each scenario reports its figures on one line (``sent=… stored=… lost=0 duplicated=0 …``): printed as it runs
(visible with ``-s``) and gathered again in the terminal summary, so they appear in CI output either way.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from fluorowatch.runtime import free_port
from storage.db import ensure_database
from storage.migrate import migrate
from storage.registry import save_equipment, save_site

PG_BIN = Path(os.environ.get("FLUOROWATCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
REPO = Path(__file__).resolve().parents[2]
FIGURES = "fault figures"
AGENT_VALUES = "suction_pressure_mpag,discharge_pressure_mpag,compressor_on"


# -- waiting ---------------------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0, every_s: float = 0.1) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout_s`` (deadlines, never sleeps)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s:.0f} s waiting for {what}"
        time.sleep(every_s)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- figures ---------------------------------------------------------------------------------------------------

Report = Callable[..., str]


@pytest.fixture
def figures(record_property: Callable[[str, object], None], request: pytest.FixtureRequest) -> Report:
    """``figures(sent=…, stored=…)``: one line of the scenario's figures, printed and kept for the summary."""

    def report(**values: object) -> str:
        line = f"{request.node.name}: " + " ".join(f"{k}={v}" for k, v in values.items())
        print(f"\n[faults] {line}", flush=True)
        record_property(FIGURES, line)
        return line

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == FIGURES
    ]
    if lines:
        terminalreporter.write_sep("=", "fault-injection figures (issue 11)")
        for line in lines:
            terminalreporter.write_line(line)


# -- a private PostgreSQL --------------------------------------------------------------------------------------


def _as_postgres(command: Sequence[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its binaries as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _private_dir(prefix: str) -> Path:
    """A folder the server's user owns (pytest's tmp_path is private to root when tests run as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


class PrivatePostgres:
    """A cluster of the test's own (trust auth, fsync off) on a free loopback port; stop() and start() at will."""

    def __init__(self, datadir: Path) -> None:
        self.datadir, self.port = datadir, free_port()
        self.log = datadir.parent / f"{datadir.name}.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/fluorowatch"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} -c fsync=off"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log), "-o", options, "-w",
                   "-t", "60", "start"]  # fmt: skip
        subprocess.run(_as_postgres(command), check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop"]
        subprocess.run(_as_postgres(command), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False


@pytest.fixture(scope="session")
def pg_template() -> Iterator[Path]:
    """A stopped cluster holding the migrated database `fluorowatch`; each test starts a copy of it."""
    root = _private_dir("fw-faults-pg-")
    datadir = root / "template"
    initdb = [str(PG_BIN / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]
    subprocess.run(_as_postgres(initdb), check=True, stdout=subprocess.DEVNULL)
    server = PrivatePostgres(datadir)
    server.start()
    try:
        ensure_database(server.url)
        with psycopg.connect(server.url, autocommit=True) as conn:
            migrate(conn)
    finally:
        server.stop()
    yield datadir
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def private_pg(pg_template: Path, request: pytest.FixtureRequest) -> Iterator[PrivatePostgres]:
    """A running copy of the template cluster: this test's own PostgreSQL, stopped and removed afterwards."""
    name = "".join(ch if ch.isalnum() else "-" for ch in request.node.name)[-40:]
    datadir = pg_template.parent / name
    subprocess.run(["cp", "-a", str(pg_template), str(datadir)], check=True)
    server = PrivatePostgres(datadir)
    server.start()
    yield server
    server.stop("immediate")
    shutil.rmtree(datadir, ignore_errors=True)


# -- a private Mosquitto ---------------------------------------------------------------------------------------


class PrivateBroker:
    """A mosquitto of the test's own on a free loopback port. Persistence on (sessions and queued QoS 1
    messages survive a restart), a queue for a persistent session no test fills (docs/ingest.md).
    With ``password_file`` and ``acl_file``: no anonymous access, each user confined by the ACL."""

    def __init__(self, workdir: Path, *, password_file: Path | None = None, acl_file: Path | None = None,
                 log_all: bool = False) -> None:  # fmt: skip
        workdir.mkdir(parents=True, exist_ok=True)
        self.port, self.workdir = free_port(), workdir
        self.log = workdir / "mosquitto.log"
        self.config = workdir / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"allow_anonymous {'false' if password_file else 'true'}",
            "persistence true",
            f"persistence_location {workdir}/",
            # Not 0 (unlimited): Mosquitto 2.0.11 then drops the connection of a client whose QoS 1 publish the ACL
            # denies (docs/ingest.md). A bound no test reaches.
            "max_queued_messages 10000000",
            "max_queued_bytes 0",
            f"user {getpass.getuser()}",
            f"log_dest file {self.log}",
        ]
        if password_file:
            lines.append(f"password_file {password_file}")
        if acl_file:
            lines.append(f"acl_file {acl_file}")
        if log_all:
            lines.append("log_type all")
        self.config.write_text("\n".join(lines) + "\n")
        self._process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._process = subprocess.Popen(["mosquitto", "-c", str(self.config)], stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), "the private mosquitto to listen", timeout_s=15)

    def stop(self) -> None:
        """A graceful stop (SIGTERM): mosquitto writes its sessions and queued messages to disk."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(20)
            self._process = None

    def restart(self) -> None:
        self.stop()
        assert not port_open(self.port)
        self.start()
        self.restarts += 1

    def log_lines(self, needle: str) -> int:
        return sum(needle in line for line in self.log.read_text(errors="replace").splitlines())


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()


# -- real processes --------------------------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_")}
    env = {k: v for k, v in inherited.items() if k not in ("DATABASE_URL", "MQTT_URL")}
    env.update(FLUOROWATCH_LOG_LEVEL="WARNING", **extra)
    return env


def metric(port: int, name: str, labels: str = "") -> float:
    """A value from a process's /metrics (0 when the series is not there yet)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3).read().decode()
    series = f"{name}{{{labels}}}" if labels else name
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.split(" ")[0] == series)


def metric_or_none(port: int, name: str) -> float | None:
    try:
        return metric(port, name)
    except OSError:
        return None


class IngestProcess:
    """`fluorowatch ingest` as a subprocess (DATABASE_URL / MQTT_URL in its environment), its log kept."""

    def __init__(self, database_url: str, mqtt_url: str, prefix: str, client_id: str, log: Path) -> None:
        self.metrics_port, self.log = free_port(), log
        env = _env(DATABASE_URL=database_url, MQTT_URL=mqtt_url, FLUOROWATCH_TOPIC_PREFIX=prefix)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fluorowatch", "ingest", "--client-id", client_id,
                 "--metrics-port", str(self.metrics_port)], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def metric(self, name: str, labels: str = "") -> float:
        return metric(self.metrics_port, name, labels)

    def wait_serving(self) -> None:
        wait_for(lambda: metric_or_none(self.metrics_port, "fw_ingest_messages_received_total") is not None,
                 "ingest to serve /metrics", timeout_s=60)  # fmt: skip

    def wait_subscribed(self) -> None:
        def ready() -> bool:
            assert self.alive, self.log.read_text(errors="replace")[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/readyz", timeout=3).close()
            except OSError:
                return False
            return True

        wait_for(ready, "ingest to be ready (database answers, subscribed)", timeout_s=60)

    def kill(self) -> int:
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(20)

    def stop(self) -> int:
        """SIGTERM (its handler is in place once it serves metrics); the exit status."""
        self.wait_serving()
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def ensure_stopped(self) -> None:
        if self.alive:
            self.process.kill()
            self.process.wait(20)


class AgentProcess:
    """`fluorowatch agent` as a subprocess with a CSV-replay configuration: the readings are exactly the rows."""

    def __init__(self, workdir: Path, *, agent_id: str, site: str, prefix: str, broker_url: str,
                 units: dict[str, Sequence[datetime]], username: str | None = None, password: str | None = None,
                 sampling_interval_s: float = 0.2) -> None:  # fmt: skip
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir, self.metrics_port = workdir, free_port()
        self.expected = {(site, unit, 1, ts) for unit, stamps in units.items() for ts in stamps}
        unit_lines = ""
        for unit, stamps in units.items():
            rows = "".join(
                f"{ts.isoformat()},{0.30 + (n % 50) / 1000:.3f},1.6,{n % 2}\n" for n, ts in enumerate(stamps)
            )
            (workdir / f"{unit}.csv").write_text(f"ts,{AGENT_VALUES}\n{rows}")
            unit_lines += f"  - equipment: {unit}\n    driver: {{type: csv_replay, path: {unit}.csv}}\n"
        credentials = f", username: {username}, password: '{password}'" if username else ""
        self.config = workdir / "agent.yaml"
        self.config.write_text(
            f"agent_id: {agent_id}\nsite: {site}\ntopic_prefix: {prefix}\nsampling_interval_s: {sampling_interval_s}\n"
            f"metrics_port: {self.metrics_port}\nbroker: {{url: '{broker_url}'{credentials}}}\n"
            f"queue: {{path: queue.sqlite}}\nunits:\n{unit_lines}"
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with (self.workdir / "agent.log").open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "fluorowatch", "agent", "--config",
                                             str(self.config)], env=_env(), cwd=REPO, stdout=out,
                                            stderr=subprocess.STDOUT)  # fmt: skip

    def metric(self, name: str) -> float:
        return metric(self.metrics_port, name)

    def acknowledged(self) -> float:
        """Readings the broker acknowledged (PUBACK), over this process's life."""
        value = metric_or_none(self.metrics_port, "fw_agent_readings_acknowledged_total")
        return value or 0.0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int:
        assert self.process is not None
        wait_for(lambda: metric_or_none(self.metrics_port, "fw_agent_queue_depth") is not None, "agent metrics")
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def ensure_stopped(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.kill()
            self.process.wait(20)


Started = list[IngestProcess | AgentProcess]


@pytest.fixture
def processes() -> Iterator[Started]:
    """Every process a test starts, killed at the end if still running."""
    started: list[IngestProcess | AgentProcess] = []
    yield started
    for process in started:
        process.ensure_stopped()


# -- the register and what was stored --------------------------------------------------------------------------


def register(url: str, sites: Mapping[str, Sequence[str]]) -> None:
    """Sites (code -> management numbers of their one-circuit showcases) in the register."""
    with psycopg.connect(url) as conn:
        for code, units in sites.items():
            site_id = save_site(conn, Site(code, f"store {code}", "13", "Tokyo", OrgPath.parse("Faults Co")))
            circuit = (RefrigerantCircuit(1, (Compressor(Decimal("3.7")),)),)
            for unit in units:
                equipment = Equipment(unit, EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal(8), circuit)
                save_equipment(conn, site_id, equipment)


Key = tuple[str, str, int, datetime]


def stored_keys(url: str) -> list[Key]:
    """(site, unit, circuit, ts) of every telemetry row (a list: a row stored twice would show twice)."""
    with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
        rows = conn.execute(
            """SELECT s.site_code, e.management_no, t.circuit_no, t.ts FROM telemetry t
               JOIN equipment e ON e.id = t.equipment_id JOIN site s ON s.id = e.site_id"""
        ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]


def count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def duplicated(url: str) -> int:
    """Rows stored more than once for one (unit, circuit, ts): 0 by the table's key."""
    return count(url, "SELECT count(*) - count(DISTINCT (equipment_id, circuit_no, ts)) FROM telemetry")


def dead_letters(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT reason, count(*) FROM dead_letter GROUP BY reason").fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def safely(url: str, probe: Callable[[str], int]) -> int:
    """``probe(url)``, or -1 while the database does not answer (for polling through an outage)."""
    try:
        return probe(url)
    except psycopg.OperationalError:
        return -1


def stored_count(url: str) -> int:
    return count(url, "SELECT count(*) FROM telemetry")
