"""The agent's connection to the broker: one paho client per connection attempt, QoS 1, a retained
online/offline status with an MQTT last will. Acknowledgements are handed to the agent's thread.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from prometheus_client import Counter

from edge_agent.payload import STATUS_SCHEMA, AgentStatus, encode_status, status_topic

log = logging.getLogger(__name__)

PUBLISHED = Counter("fw_agent_published_total", "Messages (telemetry and status) the broker acknowledged")
PUBLISH_FAILURES = Counter(
    "fw_agent_publish_failures_total",
    "Messages not acknowledged: publish refused, PUBACK with an error, or in flight when the connection was lost",
)


class LinkError(Exception):
    """The broker could not be reached or refused the connection."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or an error message

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
            raise ValueError(f"expected mqtt://host:port or mqtts://host:port, got {shown!r}")
        tls = parts.scheme == "mqtts"
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname, parts.port or (8883 if tls else 1883), tls, user, password)


@dataclass(frozen=True)
class TlsFiles:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes


def offline_will(prefix: str, site: str, agent: str) -> Will:
    """The retained "offline" status the broker publishes when the agent vanishes."""
    offline = AgentStatus(STATUS_SCHEMA, agent, "offline")
    return Will(status_topic(prefix, site, agent), encode_status(offline))


class BrokerLink:
    """One connection. `connect()` blocks until the broker accepts or refuses; `acks` receives the message
    ids the broker acknowledged; `lost` is set when the connection drops. Not reused after it is lost."""

    def __init__(
        self,
        address: BrokerAddress,
        client_id: str,
        will: Will,
        *,
        keepalive_s: int = 30,
        max_inflight: int = 20,
        tls: TlsFiles | None = None,
        mqtt5: bool = True,
    ) -> None:
        self._address = address
        self.acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.lost = threading.Event()
        self._accepted = threading.Event()
        self._refusal: str | None = None
        self._keepalive = keepalive_s
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if mqtt5 else MQTTProtocolVersion.MQTTv311,
        )
        self._client.max_inflight_messages_set(max_inflight)
        self._client.will_set(will.topic, will.payload, qos=1, retain=True)
        if address.username:
            self._client.username_pw_set(address.username, address.password)
        if address.tls or tls:
            self._configure_tls(tls or TlsFiles())
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    def connect(self, timeout_s: float = 10.0) -> None:
        try:
            self._client.connect(self._address.host, self._address.port, keepalive=self._keepalive)
        except (OSError, ssl.SSLError) as exc:
            raise LinkError(f"{self._address.host}:{self._address.port}: {exc}") from None
        self._client.loop_start()
        if not self._accepted.wait(timeout_s) or self._refusal:
            self.close()
            raise LinkError(self._refusal or f"{self._address.host}:{self._address.port}: no CONNACK")

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int:
        """Queue a QoS 1 publish; return its message id (its acknowledgement arrives on `acks`)."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            PUBLISH_FAILURES.inc()
            self.lost.set()
            raise LinkError(f"publish failed: {mqtt.error_string(info.rc)}")
        return int(info.mid)

    def close(self) -> None:
        """Disconnect cleanly (the will is not sent) and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def _configure_tls(self, tls: TlsFiles) -> None:
        self._client.tls_set(ca_certs=tls.ca_file, certfile=tls.cert_file, keyfile=tls.key_file)
        self._client.tls_insecure_set(tls.insecure)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason: ReasonCode,
                    properties: Properties | None) -> None:  # fmt: skip
        # Do not mark a refused connection as connected (see ../shared/STYLE.md on Frigate's bug).
        if reason.is_failure:
            self._refusal = f"broker refused the connection: {reason}"
        self._accepted.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object, reason: ReasonCode,
                       properties: Properties | None) -> None:  # fmt: skip
        self.lost.set()

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, reason: ReasonCode,
                    properties: Properties | None) -> None:  # fmt: skip
        if not reason.is_failure:
            PUBLISHED.inc()
            self.acks.put(mid)
        else:
            PUBLISH_FAILURES.inc()
            log.warning("broker rejected message %d: %s", mid, reason)
