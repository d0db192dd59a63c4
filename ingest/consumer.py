"""The broker side of ingest: a persistent session with manual acknowledgement, subscribed plainly (one ingest)
or, for scale-out, in an MQTT 5 shared subscription. A message is acknowledged only after its batch is
committed, so a crash between receive and commit loses nothing: the broker delivers it again, and the
idempotent merge stores it once.

Back-pressure: the inbox is bounded. While PostgreSQL is down or slow the writer stops taking from it, the
inbox fills, the network thread blocks, nothing more is acknowledged, and the broker holds the backlog (its
`max_queued_messages` / `max_queued_bytes` bound it; docs/ingest.md).

Why the plain subscription is the default: Mosquitto (seen with 2.0.11, tests/faults) does not restore a shared
subscription from its persistence file. After a broker restart, messages published before the group's first ingest
has subscribed again are acknowledged to the agents and delivered to nobody. A plain subscription of a persistent
session is restored, and queues them. Join a share group only on a broker that keeps shared subscriptions across a
restart, or accept that window (docs/operations.md, "Scaling out").
"""

from __future__ import annotations

import logging
import queue
import re
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge_agent.link import BrokerAddress
from ingest.pipeline import Inbound

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our session and its backlog through a week of downtime
RECEIVE_MAXIMUM = 10_000  # unacknowledged QoS 1 messages the broker may send us at once
# Before --share-group, every ingest joined this group; a persistent session upgraded from then still holds it
# and would get each message twice (once per subscription), so it is dropped on connecting.
LEGACY_SHARE_GROUP = "fluorowatch-ingest"


SHARE_GROUP_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")  # no '/', '+' or '#': those would change the filter


def share_group_name(name: str) -> str:
    """`name` when it can be an MQTT share group, else ValueError."""
    if not SHARE_GROUP_NAME.fullmatch(name):
        raise ValueError(f"share group {name!r}: up to 64 letters, digits, '.', '_' or '-'")
    return name


def subscription_topics(topic_prefix: str, share_group: str | None) -> list[str]:
    share = f"$share/{share_group}/" if share_group else ""  # the group's ingest processes split the load
    return [f"{share}{topic_prefix}/v1/+/+/+/telemetry", f"{share}{topic_prefix}/v1/+/agents/+/status"]


class Consumer:
    """Receives telemetry and status messages into `inbox`; `ack(mids)` after they are committed."""

    def __init__(self, url: str, topic_prefix: str, *, client_id: str, share_group: str | None = None,
                 inbox_size: int = 5_000, mqtt5: bool = True) -> None:  # fmt: skip
        if share_group is not None and not mqtt5:
            raise ValueError("a shared subscription needs MQTT 5; a 3.1.1 broker takes exactly one ingest")
        if share_group is not None:
            share_group_name(share_group)
        self.inbox: queue.Queue[Inbound] = queue.Queue(maxsize=inbox_size)
        self.connected = threading.Event()  # set once the broker acknowledged the subscriptions
        self._address = BrokerAddress.parse(url)
        self.topics = subscription_topics(topic_prefix, share_group)
        other_forms = [t for group in (None, LEGACY_SHARE_GROUP) for t in subscription_topics(topic_prefix, group)]
        self._stale = [t for t in other_forms if t not in self.topics] if mqtt5 else []
        self._mqtt5 = mqtt5
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if mqtt5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if mqtt5 else False,
            manual_ack=True,
        )
        if self._address.username:
            self._client.username_pw_set(self._address.username, self._address.password)
        if self._address.tls:
            self._client.tls_set()
        self._client.reconnect_delay_set(1, 30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: self.connected.set()  # receiving from now on

    def start(self) -> None:
        host, port = self._address.host, self._address.port
        if self._mqtt5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
            self._client.connect_async(host, port, keepalive=30, clean_start=False, properties=properties)
        else:
            self._client.connect_async(host, port, keepalive=30)
        self._client.loop_start()

    def ack(self, messages: list[Inbound]) -> None:
        for message in messages:
            if message.qos:
                self._client.ack(message.mid, message.qos)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags, reason: ReasonCode,
                    properties: Properties | None) -> None:  # fmt: skip
        if reason.is_failure:
            log.error("broker refused ingest: %s", reason)
            return
        if self._stale:  # first: the broker answers in order, so once subscribed the stale ones are gone
            client.unsubscribe(self._stale)
        client.subscribe([(topic, 1) for topic in self.topics])
        log.info("ingest subscribed (session %s)", "resumed" if flags.session_present else "new")

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object, reason: ReasonCode,
                       properties: Properties | None) -> None:  # fmt: skip
        self.connected.clear()
        log.warning("ingest disconnected from the broker: %s", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        # Blocks when the inbox is full: that is the back-pressure (nothing more is read or acknowledged).
        self.inbox.put(Inbound(message.mid, message.topic, bytes(message.payload), message.qos))
