"""Fault injection on the telemetry path (issue 11): real edge agents -> a private Mosquitto -> real `fluorowatch
ingest` processes -> a private PostgreSQL, and proof that nothing is lost or stored twice when ingest is killed,
the broker restarts, the database goes away, deliveries repeat or come out of order, garbage floods in, or an
agent writes to another site's topics.

"sent" is the exact set of readings the publishers produced ((site, unit, circuit, ts): the agents replay CSV
files the test wrote); "stored" the distinct readings in `telemetry`; lost = sent - stored; duplicated = rows
stored twice for one (unit, circuit, ts).
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from edge_agent.payload import encode_batch, encode_reading, telemetry_topic
from edge_agent.reading import Reading
from ingest.validation import MAX_MESSAGE_BYTES, Reason
from storage.agent_queries import issue_agent, mosquitto_hash, render_acl_file, render_password_file

from .conftest import (
    AgentProcess,
    IngestProcess,
    Key,
    PrivateBroker,
    PrivatePostgres,
    Report,
    Started,
    count,
    dead_letters,
    duplicated,
    register,
    safely,
    stored_count,
    stored_keys,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

PREFIX = "fwfault"
SITES = {"S-A": [f"A-{n:02d}" for n in range(1, 5)], "S-B": [f"B-{n:02d}" for n in range(1, 5)]}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _stamps(backlog: int, paced_s: float, rate_hz: float, now: datetime) -> list[datetime]:
    """``backlog`` readings due at once (the last hours, one a second), then ``rate_hz`` readings a second for
    ``paced_s`` seconds from now: due, and sent, as the test runs."""
    past = [now - timedelta(hours=3) + timedelta(seconds=n) for n in range(backlog)]
    step = timedelta(seconds=1 / rate_hz)
    return past + [now + timedelta(seconds=1) + step * n for n in range(round(paced_s * rate_hz))]


def _agents(tmp_path: Path, broker: PrivateBroker, stamps: Sequence[datetime], *,
            sites: dict[str, list[str]] = SITES, sampling_interval_s: float = 0.2) -> list[AgentProcess]:  # fmt: skip
    return [
        AgentProcess(tmp_path / f"agent-{site}", agent_id=f"gw-{site}", site=site, prefix=PREFIX,
                     broker_url=broker.url, units={unit: stamps for unit in units},
                     sampling_interval_s=sampling_interval_s)
        for site, units in sites.items()
    ]  # fmt: skip


def _expected(agents: Sequence[AgentProcess]) -> set[Key]:
    return set().union(*(agent.expected for agent in agents))


def _all_stored(url: str, expected: set[Key]) -> bool:
    return safely(url, stored_count) >= len(expected) and set(stored_keys(url)) >= expected


def _outcome(url: str, expected: set[Key]) -> dict[str, int]:
    keys = stored_keys(url)
    distinct = set(keys)
    return {"sent": len(expected), "stored": len(distinct & expected), "lost": len(expected - distinct),
            "unexpected": len(distinct - expected), "duplicated": duplicated(url)}  # fmt: skip


def _assert_exact(outcome: dict[str, int]) -> None:
    assert outcome["lost"] == 0, outcome
    assert outcome["duplicated"] == 0, outcome
    assert outcome["unexpected"] == 0, outcome
    assert outcome["stored"] == outcome["sent"], outcome


_BLOCKED_INGEST = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"


def test_ingest_killed_mid_batch_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path, private_pg: PrivatePostgres, private_broker: PrivateBroker, processes: Started, figures: Report
) -> None:
    register(private_pg.url, SITES)
    client_id = "ingest-kill"
    first = IngestProcess(private_pg.url, private_broker.url, PREFIX, client_id, tmp_path / "ingest-1.log")
    processes.append(first)
    first.wait_subscribed()
    agents = _agents(tmp_path, private_broker, _stamps(3000, 8.0, 10.0, _now()))
    processes.extend(agents)
    expected = _expected(agents)

    wait_for(lambda: stored_count(private_pg.url) >= 2000, "the first batches to be committed")
    # Mid-batch, for certain: a lock holds ingest's next batch inside its transaction (received, written to
    # staging, not committed, not acknowledged) while the agents keep publishing; then kill -9.
    with psycopg.connect(private_pg.url) as blocker:
        blocker.execute("LOCK TABLE telemetry IN SHARE ROW EXCLUSIVE MODE")
        wait_for(lambda: count(private_pg.url, _BLOCKED_INGEST) > 0, "an ingest batch blocked mid-transaction")
        assert first.kill() == -9
        blocker.rollback()
    stored_at_kill = stored_count(private_pg.url)
    assert stored_at_kill < len(expected), "the kill must land mid-stream"

    second = IngestProcess(private_pg.url, private_broker.url, PREFIX, client_id, tmp_path / "ingest-2.log")
    processes.append(second)  # the same persistent session: the broker redelivers what was not acknowledged
    wait_for(lambda: _all_stored(private_pg.url, expected), "every reading stored", timeout_s=90)
    assert [agent.stop() for agent in agents] == [0, 0]
    readings_after_kill = second.metric("fw_ingest_readings_total")
    assert second.stop() == 0

    outcome = _outcome(private_pg.url, expected)
    letters = dead_letters(private_pg.url)
    figures(**outcome, stored_at_kill=stored_at_kill, readings_taken_by_second_ingest=int(readings_after_kill),
            redelivered=int(readings_after_kill) - (outcome["stored"] - stored_at_kill),
            dead_letters=sum(letters.values()), ingest_exits=1, killed_with="SIGKILL")  # fmt: skip
    _assert_exact(outcome)
    assert letters == {}


def test_broker_restarts_while_agents_publish_lose_nothing(
    tmp_path: Path, private_pg: PrivatePostgres, private_broker: PrivateBroker, processes: Started, figures: Report
) -> None:
    register(private_pg.url, SITES)
    client_id = "ingest-broker-restart"
    ingest = IngestProcess(private_pg.url, private_broker.url, PREFIX, client_id, tmp_path / "ingest-1.log")
    processes.append(ingest)
    ingest.wait_subscribed()
    # Paced for 30 s: still publishing when ingest is stopped below, however long the backlog took here.
    agents = _agents(tmp_path, private_broker, _stamps(500, 30.0, 10.0, _now()))
    processes.extend(agents)
    expected = _expected(agents)
    url = private_pg.url

    # 1. Restart under everyone's feet: agents and ingest reconnect; ingest resumes its session.
    wait_for(lambda: stored_count(url) >= 4000, "the backlog to be stored")
    private_broker.restart()
    ingest.wait_subscribed()  # reconnected and subscribed again
    stored_at_restart = stored_count(url)
    wait_for(lambda: stored_count(url) >= stored_at_restart + 200, "readings stored after the first restart")

    # 2. Ingest away, messages queued for its persistent session in the broker, then the broker restarts:
    # with persistence on, the session and its queued QoS 1 messages survive and reach the next ingest.
    assert ingest.stop() == 0
    stored_before = stored_count(url)
    acked_before = sum(agent.acknowledged() for agent in agents)
    wait_for(lambda: sum(agent.acknowledged() for agent in agents) >= acked_before + 150,
             "agents' readings acknowledged by the broker while ingest is away")  # fmt: skip
    queued_at_restart = int(sum(agent.acknowledged() for agent in agents) - acked_before)
    private_broker.restart()
    assert stored_count(url) == stored_before  # nothing consumed them meanwhile
    again = IngestProcess(url, private_broker.url, PREFIX, client_id, tmp_path / "ingest-2.log")
    processes.append(again)
    wait_for(lambda: _all_stored(url, expected), "every reading stored", timeout_s=90)
    assert [agent.stop() for agent in agents] == [0, 0]
    assert again.stop() == 0

    outcome = _outcome(url, expected)
    letters = dead_letters(url)
    figures(**outcome, broker_restarts=private_broker.restarts, queued_in_broker_at_restart=queued_at_restart,
            dead_letters=sum(letters.values()))  # fmt: skip
    _assert_exact(outcome)
    assert queued_at_restart > 0
    assert letters == {}


def test_database_away_for_a_minute_ingest_holds_back_and_loses_nothing(
    tmp_path: Path, private_pg: PrivatePostgres, private_broker: PrivateBroker, processes: Started, figures: Report
) -> None:
    outage_s = 60.0
    sites = {site: [f"{site[-1]}-{n:02d}" for n in range(1, 9)] for site in SITES}
    register(private_pg.url, sites)
    url = private_pg.url
    ingest = IngestProcess(url, private_broker.url, PREFIX, "ingest-db-outage", tmp_path / "ingest.log")
    processes.append(ingest)
    ingest.wait_subscribed()
    # 16 units at 20 readings/s, read every 50 ms: ~320 messages/s, more than ingest's inbox holds in the outage.
    agents = _agents(tmp_path, private_broker, _stamps(200, outage_s + 15.0, 20.0, _now()), sites=sites,
                     sampling_interval_s=0.05)  # fmt: skip
    processes.extend(agents)
    expected = _expected(agents)

    wait_for(lambda: stored_count(url) >= 1600, "the backlog to be stored")
    private_pg.stop()
    acked_at_stop = sum(agent.acknowledged() for agent in agents)
    outage_ends = threading.Event()
    timer = threading.Timer(outage_s, outage_ends.set)
    timer.start()
    alive_samples = 0
    while not outage_ends.is_set():  # the outage is a duration; ingest is watched throughout
        assert ingest.alive, "ingest exited while the database was away"
        alive_samples += 1
        outage_ends.wait(0.5)
    acked_in_outage = int(sum(agent.acknowledged() for agent in agents) - acked_at_stop)
    db_errors = ingest.metric("fw_ingest_database_errors_total")
    private_pg.start()
    wait_for(lambda: _all_stored(url, expected), "every reading stored after the database came back", timeout_s=90)
    assert ingest.alive
    assert [agent.stop() for agent in agents] == [0, 0]
    assert ingest.stop() == 0

    outcome = _outcome(url, expected)
    letters = dead_letters(url)
    figures(**outcome, outage_s=outage_s, readings_acked_by_broker_in_outage=acked_in_outage,
            db_errors_retried=int(db_errors), ingest_exits_during_outage=0, ingest_restarts=0,
            dead_letters=sum(letters.values()))  # fmt: skip
    _assert_exact(outcome)
    assert acked_in_outage > 0 and db_errors > 0
    assert letters == {}


class QosPublisher:
    """A paho publisher following the agent's payload contract: QoS 1, and its own retry until the PUBACK."""

    def __init__(self, port: int, *, username: str | None = None, password: str | None = None,
                 client_id: str = "") -> None:  # fmt: skip
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=MQTTProtocolVersion.MQTTv5)  # fmt: skip
        if username:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(100)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.published = 0

    def send_all(self, messages: Sequence[tuple[str, bytes]]) -> None:
        infos = [(topic, payload, self.client.publish(topic, payload, qos=1)) for topic, payload in messages]
        for topic, payload, info in infos:
            for _ in range(5):
                info.wait_for_publish(30)
                if info.is_published():
                    break
                info = self.client.publish(topic, payload, qos=1)  # our own retry
            assert info.is_published()
        self.published += len(messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _reading(site: str, unit: str, ts: datetime, value: float = 0.31) -> tuple[Key, bytes]:
    reading = Reading(unit, 1, ts, {"suction_pressure_mpag": value, "compressor_on": True})
    return (site, unit, 1, ts), encode_reading(reading)


def _message(site: str, unit: str, readings: Sequence[bytes], agent: str = "gw-test") -> tuple[str, bytes]:
    return telemetry_topic(PREFIX, site, unit, 1), encode_batch(site, agent, unit, 1, readings)


def test_duplicate_and_reordered_deliveries_are_stored_exactly_once(
    tmp_path: Path, private_pg: PrivatePostgres, private_broker: PrivateBroker, processes: Started, figures: Report
) -> None:
    register(private_pg.url, SITES)
    ingest = IngestProcess(private_pg.url, private_broker.url, PREFIX, "ingest-dups", tmp_path / "ingest.log")
    processes.append(ingest)
    ingest.wait_subscribed()
    rng = random.Random(11)
    start = _now() - timedelta(days=2)
    readings: dict[str, list[tuple[Key, bytes]]] = {
        unit: [_reading("S-A", unit, start + timedelta(minutes=n)) for n in range(500)] for unit in SITES["S-A"]
    }
    messages: list[tuple[str, bytes]] = []
    for unit, items in readings.items():
        for size in (25, 40):  # two different batchings: every reading is in two different messages
            for first in range(0, len(items), size):
                chunk = [encoded for _, encoded in items[first : first + size]]
                rng.shuffle(chunk)  # out of order inside the message
                messages += [_message("S-A", unit, chunk)] * 2  # and each message delivered twice
    rng.shuffle(messages)  # and the messages out of order
    expected = {key for items in readings.values() for key, _ in items}
    publisher = QosPublisher(private_broker.port)
    try:
        publisher.send_all(messages)
    finally:
        publisher.close()
    wait_for(lambda: ingest.metric("fw_ingest_messages_received_total") >= len(messages), "every message processed")
    wait_for(lambda: _all_stored(private_pg.url, expected), "every reading stored")
    assert ingest.stop() == 0

    outcome = _outcome(private_pg.url, expected)
    letters = dead_letters(private_pg.url)
    figures(**outcome, messages_published=len(messages), readings_published=4 * len(expected),
            dead_letters=sum(letters.values()))  # fmt: skip
    _assert_exact(outcome)
    assert letters == {}


def _bad_messages(rng: random.Random, now: datetime) -> tuple[list[tuple[str, bytes]], dict[str, int]]:
    """Thousands of malformed and oversized messages, and how many of each reason ingest must dead-letter."""
    topic = telemetry_topic(PREFIX, "S-A", "A-01", 1)
    good_body = _message("S-A", "A-01", [_reading("S-A", "A-01", now - timedelta(days=1))[1]])[1]
    body = msgspec.json.decode(good_body)
    bad: dict[str, list[tuple[str, bytes]]] = {
        Reason.MALFORMED: [(topic, b'{"schema": "fluorowatch.telemetry/1", ' + str(n).encode()) for n in range(1500)],
        Reason.SCHEMA: [(topic, msgspec.json.encode({**body, "smuggled": n})) for n in range(400)]
        + [(topic, msgspec.json.encode({k: v for k, v in body.items() if k != "agent"}))] * 100,
        Reason.SCHEMA_VERSION: [(topic, msgspec.json.encode({**body, "schema": "fluorowatch.telemetry/9"}))] * 300,
        Reason.TOPIC_MISMATCH: [(telemetry_topic(PREFIX, "S-A", "A-02", 1), good_body)] * 300,
        Reason.UNKNOWN_UNIT: [_message("S-A", "NOT-REGISTERED", [encode_reading(
            Reading("NOT-REGISTERED", 1, now, {"suction_pressure_mpag": 0.3}))])] * 300,
        Reason.OVERSIZED: [(topic, b'{"schema": "' + secrets.token_hex(MAX_MESSAGE_BYTES // 2 + 1000).encode() + b'"}')
                           for _ in range(30)],
    }  # fmt: skip
    flat = [message for messages in bad.values() for message in messages]
    rng.shuffle(flat)
    return flat, {str(reason): len(messages) for reason, messages in bad.items()}


def test_a_flood_of_malformed_and_oversized_messages_is_dead_lettered_and_every_good_reading_stored(
    tmp_path: Path, private_pg: PrivatePostgres, private_broker: PrivateBroker, processes: Started, figures: Report
) -> None:
    register(private_pg.url, SITES)
    ingest = IngestProcess(private_pg.url, private_broker.url, PREFIX, "ingest-flood", tmp_path / "ingest.log")
    processes.append(ingest)
    ingest.wait_subscribed()
    rng = random.Random(5)
    now = _now()
    start = now - timedelta(days=8)
    good: list[tuple[str, bytes]] = []
    expected: set[Key] = set()
    out_of_range = 0
    for n in range(1000):  # good messages of 10 readings; every fifth holds one reading out of physical range
        unit = SITES["S-A"][n % 4]
        items = [_reading("S-A", unit, start + timedelta(minutes=n * 10 + i)) for i in range(10)]
        if n % 5 == 0:
            items[3] = (items[3][0], _reading("S-A", unit, items[3][0][3], value=99.0)[1])
            out_of_range += 1
        expected |= {key for i, (key, _) in enumerate(items) if not (n % 5 == 0 and i == 3)}
        good.append(_message("S-A", unit, [encoded for _, encoded in items]))
    bad, reasons = _bad_messages(rng, now)
    mixed = good + bad
    rng.shuffle(mixed)
    publisher = QosPublisher(private_broker.port)
    try:
        publisher.send_all(mixed)
    finally:
        publisher.close()
    wait_for(lambda: ingest.metric("fw_ingest_messages_received_total") >= len(mixed), "every message processed",
             timeout_s=120)  # fmt: skip
    wait_for(lambda: _all_stored(private_pg.url, expected), "every good reading stored")
    assert ingest.alive
    ingest.wait_subscribed()  # still ready: database answers, subscription in place
    letters = dead_letters(private_pg.url)
    rejected_metric = {reason: int(ingest.metric("fw_ingest_messages_rejected_total", f'reason="{reason}"'))
                       for reason in reasons}  # fmt: skip
    assert ingest.stop() == 0

    outcome = _outcome(private_pg.url, expected)
    figures(**outcome, good_messages=len(good), bad_messages=len(bad), bad_readings=out_of_range,
            dead_letters=sum(letters.values()), ingest_up=True,
            **{f"dl_{reason}": count for reason, count in sorted(letters.items())})  # fmt: skip
    _assert_exact(outcome)
    assert letters == {**reasons, Reason.OUT_OF_RANGE: out_of_range}
    assert rejected_metric == reasons


def _acl_broker(tmp_path: Path, url: str, ingest_password: str) -> tuple[PrivateBroker, dict[str, dict[str, str]]]:
    """Issue an agent credential per site and start a broker with the password file and ACL rendered from them."""
    credentials: dict[str, dict[str, str]] = {}
    with psycopg.connect(url) as conn:
        for site in SITES:
            row = conn.execute("SELECT id FROM site WHERE site_code = %s", (site,)).fetchone()
            assert row is not None
            issued = issue_agent(conn, int(row[0]), created_by=None, now=datetime.now(UTC))
            credentials[site] = {"username": issued["username"], "password": issued["password"]}
        passwords = render_password_file(conn, {"fluorowatch-ingest": mosquitto_hash(ingest_password)})
        acl = render_acl_file(conn, PREFIX)
    (tmp_path / "passwd").write_text(passwords)
    (tmp_path / "acl").write_text(acl)
    (tmp_path / "passwd").chmod(0o600)
    (tmp_path / "acl").chmod(0o600)
    broker = PrivateBroker(tmp_path / "broker", password_file=tmp_path / "passwd", acl_file=tmp_path / "acl",
                           log_all=True)  # fmt: skip
    broker.start()
    return broker, credentials


def test_an_agent_publishing_to_another_sites_topics_is_dropped_by_the_broker_acl(
    tmp_path: Path, private_pg: PrivatePostgres, processes: Started, figures: Report
) -> None:
    url = private_pg.url
    register(url, SITES)
    ingest_password = secrets.token_urlsafe(16)
    broker, credentials = _acl_broker(tmp_path, url, ingest_password)
    try:
        mqtt_url = f"mqtt://fluorowatch-ingest:{ingest_password}@127.0.0.1:{broker.port}"
        ingest = IngestProcess(url, mqtt_url, PREFIX, "ingest-acl", tmp_path / "ingest.log")
        processes.append(ingest)
        ingest.wait_subscribed()
        site_a = credentials["S-A"]
        now = _now()
        stamps = _stamps(300, 0.0, 1.0, now)
        # The misbehaving agent: S-A's credentials, configured as if it were at S-B (a real agent process).
        rogue = AgentProcess(tmp_path / "rogue", agent_id="gw-rogue", site="S-B", prefix=PREFIX, broker_url=broker.url,
                             units={unit: stamps for unit in SITES["S-B"]}, username=site_a["username"],
                             password=site_a["password"])  # fmt: skip
        honest = AgentProcess(tmp_path / "honest", agent_id="gw-a", site="S-A", prefix=PREFIX, broker_url=broker.url,
                              units={unit: stamps for unit in SITES["S-A"]}, username=site_a["username"],
                              password=site_a["password"])  # fmt: skip
        processes.extend([rogue, honest])
        # And a hand-made publisher with the same credentials, interleaving S-B topics with its own; its last
        # message is its own site's: once that is stored, the broker has judged everything before it.
        start = now - timedelta(days=1)
        own: set[Key] = set()
        mixed: list[tuple[str, bytes]] = []
        for n in range(200):
            for site, unit in (("S-B", "B-01"), ("S-A", "A-01")):
                key, encoded = _reading(site, unit, start + timedelta(minutes=n))
                mixed.append(_message(site, unit, [encoded]))
                if site == "S-A":
                    own.add(key)
        publisher = QosPublisher(broker.port, client_id="rogue-by-hand", **site_a)
        try:
            publisher.send_all(mixed)
        finally:
            publisher.close()
        expected = own | honest.expected
        wait_for(lambda: _all_stored(url, expected), "the agent's own-site readings stored")
        wait_for(lambda: broker.log_lines("Denied PUBLISH") > 200, "the rogue agent's publishes denied")
        rogue_queue = int(rogue.metric("fw_agent_queue_depth"))
        rogue_failures = int(rogue.metric("fw_agent_publish_failures_total"))
        assert [rogue.stop(), honest.stop()] == [0, 0]
        assert ingest.stop() == 0
        denied = broker.log_lines("Denied PUBLISH")
    finally:
        broker.stop()

    keys = stored_keys(url)
    other_site = sum(1 for key in keys if key[0] == "S-B")
    outcome = _outcome(url, expected)
    letters = dead_letters(url)
    figures(**outcome, other_site_published=len(rogue.expected) + 200, other_site_stored=other_site,
            denied_by_broker=denied, rogue_agent_refused_publishes=rogue_failures,
            rogue_readings_still_queued=rogue_queue,
            dead_letters=sum(letters.values()))  # fmt: skip
    assert other_site == 0
    _assert_exact(outcome)
    assert denied >= 200
    assert letters == {}
