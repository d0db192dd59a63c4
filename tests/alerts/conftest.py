"""The alert tests' world and servers: a company → branch → sites with showcases, people with roles, detector
events written straight into detector_event, channels and routes, and real receivers on loopback (an SMTP
server, aiosmtpd, and a webhook server, http.server) that record what reached them.

`World` is built inside the test's transaction (`conn`, rolled back) or committed in a database of its own
(`committed_world`) when other processes or connections must see it.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from psycopg.types.json import Jsonb

from alerts.channels.base import IDEMPOTENCY_HEADER
from alerts.delivery import ChannelFactory, Renderer, run_once
from alerts.lifecycle import Person
from alerts.render import make_renderer
from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import OrgPath, Site
from storage import alert_queries
from storage.registry import save_equipment, save_org_path, save_site

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
PUBLIC_URL = "https://fw.example.jp"
WEBHOOK_SECRET = "a-webhook-secret-of-some-length"
UNITS = 5


@dataclass(frozen=True)
class World:
    company_id: int  # Acme
    branch_id: int  # Acme/Kanto
    site_id: int  # S-SHINJUKU, in Kanto
    other_site_id: int  # S-SHIBUYA, in Kanto
    units: tuple[int, ...]  # showcases SC-01 .. SC-05 at Shinjuku (R404A, 12 kg, one circuit)
    other_unit: int  # SC-01 at Shibuya
    manager: Person  # manager at Shinjuku
    branch_manager: Person  # manager of the branch
    admin: Person  # administrator of the company

    @property
    def unit(self) -> int:
        return self.units[0]


def _showcase(management_no: str) -> Equipment:
    circuit = RefrigerantCircuit(1, (Compressor(Decimal("3.7")),))
    return Equipment(management_no, EquipmentKind.SHOWCASE_REMOTE, "R404A", Decimal("12"), (circuit,))


def add_user(
    conn: psycopg.Connection, email_address: str, role: str, *, site_id: int | None = None,
    organisation_id: int | None = None,
) -> Person:  # fmt: skip
    row = conn.execute(
        "INSERT INTO app_user (email, display_name) VALUES (%s, %s) RETURNING id",
        (email_address, email_address.split("@")[0]),
    ).fetchone()
    assert row is not None
    conn.execute(
        "INSERT INTO role_assignment (user_id, role, organisation_id, site_id) VALUES (%s, %s, %s, %s)",
        (row[0], role, organisation_id, site_id),
    )
    person = alert_queries.person(conn, int(row[0]))
    assert person is not None
    return person


def build_world(conn: psycopg.Connection) -> World:
    site_id = save_site(conn, Site("S-SHINJUKU", "新宿店", "13", "Tokyo", OrgPath.parse("Acme/Kanto")))
    other_site_id = save_site(conn, Site("S-SHIBUYA", "渋谷店", "13", "Tokyo", OrgPath.parse("Acme/Kanto")))
    company_id = save_org_path(conn, OrgPath.parse("Acme"))
    branch_id = save_org_path(conn, OrgPath.parse("Acme/Kanto"))
    units = tuple(save_equipment(conn, site_id, _showcase(f"SC-{n:02d}")) for n in range(1, UNITS + 1))
    other_unit = save_equipment(conn, other_site_id, _showcase("SC-01"))
    return World(
        company_id=company_id,
        branch_id=branch_id,
        site_id=site_id,
        other_site_id=other_site_id,
        units=units,
        other_unit=other_unit,
        manager=add_user(conn, "tanaka@acme.example.jp", "manager", site_id=site_id),
        branch_manager=add_user(conn, "suzuki@acme.example.jp", "manager", organisation_id=branch_id),
        admin=add_user(conn, "it@acme.example.jp", "admin", organisation_id=company_id),
    )


@pytest.fixture
def world(conn: psycopg.Connection) -> World:
    return build_world(conn)


@pytest.fixture
def committed_world(new_migrated_database: Callable[[str], str]) -> tuple[str, World]:
    """A database of this test's own with the world committed: for jobs and other processes."""
    url = new_migrated_database(f"alerts_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(url) as conn:
        built = build_world(conn)
    return url, built


def detector_event(
    conn: psycopg.Connection,
    equipment_id: int,
    ts: datetime,
    *,
    category: str = "leak",
    status: str = "raised",
    circuit_no: int = 1,
    severity: str = "high",
    loss_pct: float | None = 4.2,
    message: str = "charge estimate 4.2 % below the learned baseline",
    evidence: Sequence[str] = ("subcooling 2.1 K below baseline", "liquid temperature 3 K above baseline"),
) -> int:
    """One row as the detectors' streaming pass writes it (storage.detector_queries)."""
    row = conn.execute(
        """INSERT INTO detector_event (equipment_id, circuit_no, ts, category, status, severity,
               estimated_charge_loss_pct, detector, message, first_seen, evidence, model_version)
           VALUES (%s, %s, %s, %s, %s, %s, %s, 'charge', %s, %s, %s, 1) RETURNING id""",
        (equipment_id, circuit_no, ts, category, status, severity, loss_pct, message, ts - timedelta(hours=6),
         Jsonb(list(evidence))),
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0])


def add_channel(conn: psycopg.Connection, name: str, kind: str, config: dict[str, Any], language: str = "ja") -> int:
    row = conn.execute(
        "INSERT INTO notification_channel (name, kind, config, language) VALUES (%s, %s, %s, %s) RETURNING id",
        (name, kind, Jsonb(config), language),
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_route(
    conn: psycopg.Connection, channel_id: int, *, site_id: int | None = None, organisation_id: int | None = None,
    audience: str = "manager", categories: Sequence[str] | None = None,
) -> None:  # fmt: skip
    conn.execute(
        """INSERT INTO notification_route (channel_id, site_id, organisation_id, audience, categories)
           VALUES (%s, %s, %s, %s, %s)""",
        (channel_id, site_id, organisation_id, audience, list(categories) if categories is not None else None),
    )


def webhook_config(url: str, timeout_s: float = 5.0) -> dict[str, Any]:
    return {"url": url, "secret": WEBHOOK_SECRET, "timeout_s": timeout_s}


def email_config(port: int) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "fluorowatch@acme.example.jp",
            "to": ["tanaka@acme.example.jp"], "helo_name": "fluorowatch.test", "timeout_s": 5.0}  # fmt: skip


def deliver(
    conn: psycopg.Connection, now: datetime, render: Renderer | None = None, channels: ChannelFactory | None = None
) -> int:
    """What the delivery loop does at ``now``: `run_once` until no more work; returns the rounds that worked."""
    from alerts.channels import build_channel

    renderer = render or make_renderer(PUBLIC_URL)
    rounds = 0
    while run_once(conn, now, channels or build_channel, renderer):
        rounds += 1
        assert rounds < 100, "the delivery loop does not settle"
    return rounds


# -- the webhook receiver ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> str:
        return self.headers[IDEMPOTENCY_HEADER.lower()]

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def alert_ids(self) -> set[int]:
        """The alerts a message speaks of: one alert, or each alert of a site digest."""
        alert = self.document["alert"]
        return {int(a["id"]) for a in alert["alerts"]} if "alerts" in alert else {int(alert["id"])}


@dataclass
class WebhookReceiver:
    """Records every POST, then answers the next of `statuses` (200 when none is left). With `hold_first`,
    the first request is held, unanswered, until `release` is set."""

    port: int = 0
    statuses: deque[int] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    hold_first: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/site") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def _receive(self, received: Received) -> int | None:
        """The status to answer, or None to hold the request."""
        with self.lock:
            self.requests.append(received)
            if self.hold_first and not self.holding.is_set():
                self.holding.set()
                return None
            return self.statuses.popleft() if self.statuses else 200


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver._receive(Received(self.path, headers, body))
            if status is None:
                receiver.release.wait(60)
                status = 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender is gone (killed mid-delivery)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="webhook-receiver", daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    server.shutdown()
    server.server_close()
    thread.join(10)


# -- the SMTP receiver ---------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    port: int = 0
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = [email.message_from_bytes(e.original_content or b"", policy=email.policy.default)
                  for e in self.envelopes]  # fmt: skip
        return [m for m in parsed if isinstance(m, EmailMessage)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()
