"""The agent against real brokers: readings arrive intact and in order, and a broker outage loses nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from edge_agent.agent import DRIVER_ERRORS, Agent, AgentIdentity, UnitSchedule
from edge_agent.backoff import Backoff
from edge_agent.drivers.base import DriverError
from edge_agent.link import BrokerAddress, BrokerLink, Will
from edge_agent.reading import Reading
from edge_agent.store import ReadingStore

from .conftest import START, Collector, PrivateMosquitto, ScriptedDriver

Key = tuple[str, int, datetime]


def _agent(port: int, prefix: str, queue: Path, drivers: dict[str, ScriptedDriver], **kw: float) -> Agent:
    identity = AgentIdentity("gw-test", "S-1", prefix)
    will = Will(f"{prefix}/v1/S-1/agents/gw-test/status", b'{"schema":"fluorowatch.agent-status/1","state":"offline"}')
    units = {name: UnitSchedule(driver) for name, driver in drivers.items()}
    return Agent(
        identity,
        units,
        ReadingStore(queue, int(kw.pop("max_readings", 100_000))),
        lambda: BrokerLink(BrokerAddress("127.0.0.1", port, False), f"agent-{prefix}", will, keepalive_s=5),
        sampling_interval_s=kw.pop("interval", 0.001),
        batch_max_readings=int(kw.pop("batch", 50)),
        backoff=Backoff(0.1, 0.5),
    )


@contextmanager
def running(agent: Agent) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop, 0.005))
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(20)


def _expected(drivers: dict[str, ScriptedDriver]) -> set[Key]:
    return {
        (d.equipment, c, START + timedelta(minutes=i))
        for d in drivers.values()
        for c in d.circuits
        for i in range(d.limit)
    }


def _in_order_per_circuit(keys: list[Key]) -> bool:
    first_seen: dict[tuple[str, int], list[datetime]] = {}
    for equipment, circuit, ts in dict.fromkeys(keys):
        first_seen.setdefault((equipment, circuit), []).append(ts)
    return all(times == sorted(times) for times in first_seen.values())


def test_readings_arrive_intact_and_in_order(tmp_path: Path, topic_prefix: str) -> None:
    drivers = {
        "SC-01": ScriptedDriver("SC-01", (1, 2), START, limit=150),
        "CH-01": ScriptedDriver("CH-01", (1,), START, limit=150),
    }
    collector = Collector(1883, topic_prefix)
    agent = _agent(1883, topic_prefix, tmp_path / "q.sqlite", drivers)
    with running(agent):
        collector.wait_for(450)
    collector.close()
    keys = collector.keys()
    assert set(keys) == _expected(drivers)
    assert _in_order_per_circuit(keys)
    values = {(r.equipment, r.circuit, r.ts): r.values for r in collector.readings}
    assert values[("SC-01", 2, START)] == {"suction_pressure_mpag": 0.3, "compressor_on": True}
    assert all(d.closed for d in drivers.values())


def test_a_broker_outage_loses_nothing_and_keeps_the_order(tmp_path: Path, private_broker: PrivateMosquitto) -> None:
    drivers = {"SC-01": ScriptedDriver("SC-01", (1,), START, limit=600)}
    collector = Collector(private_broker.port, "fwtest")
    agent = _agent(private_broker.port, "fwtest", tmp_path / "q.sqlite", drivers, interval=0.005)
    with running(agent):
        collector.wait_for(50)
        private_broker.stop()
        sampled_before_outage = drivers["SC-01"].produced
        time.sleep(2.0)  # the agent keeps measuring into its queue while the broker is away
        assert drivers["SC-01"].produced > sampled_before_outage
        assert agent.store.depth > 0
        private_broker.start()
        collector.wait_for(600, timeout_s=60)
    collector.close()
    keys = collector.keys()
    assert set(keys) == _expected(drivers)
    assert _in_order_per_circuit(keys)


def test_the_agent_announces_itself_online_and_offline(tmp_path: Path, topic_prefix: str) -> None:
    collector = Collector(1883, topic_prefix)
    agent = _agent(1883, topic_prefix, tmp_path / "q.sqlite", {"SC-01": ScriptedDriver("SC-01", (1,), START, 3)})
    with running(agent):
        collector.wait_for(3)
    deadline = time.monotonic() + 5
    while len(collector.statuses) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    collector.close()
    assert [s["state"] for s in collector.statuses][:2] == ["online", "offline"]


class FailingDriver(ScriptedDriver):
    """Fails its first reads (one of them with a bug, not a DriverError), then works."""

    def __init__(self, *args: object, failures: int) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.failures = failures

    def read(self, now: datetime) -> list[Reading]:
        if self.failures:
            self.failures -= 1
            if self.failures == 0:
                raise RuntimeError("a bug in the driver")
            raise DriverError("device not answering")
        return super().read(now)


def test_a_failing_driver_is_counted_and_retried_without_stopping_the_agent(tmp_path: Path, topic_prefix: str) -> None:
    flaky = FailingDriver("SC-09", (1,), START, 20, failures=4)
    healthy = ScriptedDriver("SC-01", (1,), START, limit=20)
    errors_before = DRIVER_ERRORS.labels("SC-09")._value.get()
    collector = Collector(1883, topic_prefix)
    with running(_agent(1883, topic_prefix, tmp_path / "q.sqlite", {"SC-09": flaky, "SC-01": healthy})):
        collector.wait_for(40)
    collector.close()
    assert DRIVER_ERRORS.labels("SC-09")._value.get() - errors_before == 4
    assert set(collector.keys()) == _expected({"SC-09": flaky, "SC-01": healthy})
