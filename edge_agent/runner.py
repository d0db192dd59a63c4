"""Build an `Agent` from its configuration and run it until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.agent import Agent, AgentIdentity, UnitSchedule
from edge_agent.config import AgentConfig, load_agent_config
from edge_agent.drivers.base import DriverError
from edge_agent.errors import ConfigError
from edge_agent.link import BrokerAddress, BrokerLink, TlsFiles, offline_will
from edge_agent.store import ReadingStore
from fluorowatch.ops_http import OpsServer

log = logging.getLogger(__name__)


def build_agent(config: AgentConfig) -> Agent:
    """The agent of `config`; a driver that cannot be set up (missing file, circuit mismatch) is a ConfigError."""
    start = datetime.now(UTC)
    units = {}
    for unit in config.units:
        try:
            driver = unit.driver.create_driver(unit.equipment, unit.circuits, config.sampling_interval_s, start)
        except (ValueError, DriverError) as exc:
            raise ConfigError(f"units: {unit.equipment}: {exc}") from None
        units[unit.equipment] = UnitSchedule(driver, unit.channel_map)
    store = ReadingStore(config.queue.path, config.queue.max_readings)
    identity = AgentIdentity(config.agent_id, config.site, config.topic_prefix)
    return Agent(
        identity,
        units,
        store,
        lambda: _link(config),
        sampling_interval_s=config.sampling_interval_s,
        batch_max_readings=config.batch_max_readings,
    )


def _link(config: AgentConfig) -> BrokerLink:
    broker = config.broker
    parsed = BrokerAddress.parse(broker.url)
    address = BrokerAddress(
        parsed.host, parsed.port, parsed.tls, broker.username or parsed.username,
        broker.resolved_password() or parsed.password,
    )  # fmt: skip
    will = offline_will(config.topic_prefix, config.site, config.agent_id)
    tls = broker.tls
    files = TlsFiles(_str(tls.ca_file), _str(tls.cert_file), _str(tls.key_file), tls.insecure) if tls else None
    return BrokerLink(address, f"fw-agent-{config.agent_id}", will, keepalive_s=broker.keepalive_s, tls=files)


def run_agent(config_path: Path) -> int:
    """Run the agent of `config_path` until SIGTERM/SIGINT; queued readings survive on disk."""
    config = load_agent_config(config_path)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # the agent logs each failed read itself
    agent = build_agent(config)
    if config.metrics_port:  # /metrics, /healthz and /readyz (ready: connected to the broker)
        checks = {"mqtt": lambda: None if agent.connected else "not connected"}
        OpsServer(config.metrics_port, host=config.metrics_host, checks=checks, name="agent-ops-http").start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("agent %s for site %s: %d units", config.agent_id, config.site, len(config.units))
    agent.run(stop)
    log.info("agent stopped; %d readings left in the queue", agent.store.depth)
    return 0


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
