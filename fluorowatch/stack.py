"""All services in one process (`fluorowatch up`, `fluorowatch demo`): ingest and, for the demo, simulated
edge agents run in threads; the HTTP server runs in the main thread until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

from edge_agent.agent import Agent, AgentIdentity, UnitSchedule
from edge_agent.link import BrokerAddress, BrokerLink, offline_will
from edge_agent.simulator.driver import SimulatorDriver
from edge_agent.store import ReadingStore
from fluorowatch.demo_scenarios import DemoUnit
from fluorowatch.runtime import Services
from ingest.runner import ingest_service

log = logging.getLogger(__name__)

DEMO_SAMPLING_S = 60.0


def run_stack(
    services: Services,
    topic_prefix: str,
    serve: Callable[[], None],
    *,
    data_dir: Path,
    gap_minutes: float = 30.0,
    simulated: list[DemoUnit] | None = None,
) -> None:
    """Start the background services, run `serve` (blocking), then stop everything."""
    stop_ingest, stop_agents = threading.Event(), threading.Event()
    ingest = ingest_service(services.database_url, services.mqtt_url, topic_prefix, "fw-up-ingest",
                            mqtt5=services.mqtt5, silent_minutes=gap_minutes)  # fmt: skip
    ingest_thread = threading.Thread(target=ingest.run, args=(stop_ingest,), name="ingest")
    agents = []
    for site, units in groupby(sorted(simulated or [], key=lambda u: u.site_code), key=lambda u: u.site_code):
        agent = simulated_agent(site, list(units), services, topic_prefix, data_dir)
        agents.append(threading.Thread(target=agent.run, args=(stop_agents,), name=f"agent-{site}"))
    for worker in [ingest_thread, *agents]:
        worker.start()
    try:
        serve()
    finally:
        stop_agents.set()  # agents first, so that their last readings and "offline" reach ingest
        for agent_thread in agents:
            agent_thread.join(15)
        time.sleep(1.0 if agents else 0.0)
        stop_ingest.set()
        ingest_thread.join(15)


def simulated_agent(site: str, units: list[DemoUnit], services: Services, prefix: str, data_dir: Path) -> Agent:
    """An edge agent for one site whose units are simulated, publishing live from now."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    agent_id = f"demo-{site}"
    schedules = {
        u.equipment: UnitSchedule(SimulatorDriver(u.simulated, u.equipment, u.circuits, DEMO_SAMPLING_S, now))
        for u in units
    }
    will = offline_will(prefix, site, agent_id)

    def connect() -> BrokerLink:
        return BrokerLink(BrokerAddress.parse(services.mqtt_url), f"fw-{agent_id}", will, mqtt5=services.mqtt5)

    store = ReadingStore(data_dir / "demo-agents" / f"{site}.sqlite")
    return Agent(AgentIdentity(agent_id, site, prefix), schedules, store, connect, sampling_interval_s=DEMO_SAMPLING_S)
