"""The webhook channel against a real HTTP server on loopback (started per test)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alerts.channels import ChannelError, Notification, build_channel
from alerts.channels.webhook import sign, verify_signature

SECRET = "a-webhook-secret-of-32-characters"
NOTE = Notification(
    idempotency_key="outbox-7:channel-2",
    subject="[fluorowatch] 冷媒漏えいの疑い: SM-TKY-001-SC03 (渋谷店) 推定 4.2% 損失",
    body="冷媒漏えいの疑い（発生）",
    language="ja",
    link="https://fw.example.jp/units/SM-TKY-001-SC03",
    payload={"id": 7, "site": "渋谷店", "category": "leak", "estimated_charge_loss_pct": 4.2, "evidence": ["SC low"]},
)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Endpoint:
    """A webhook receiver: records each request and answers `status` (after `release` when `hold`)."""

    url: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
            if state.hold:
                state.release.wait(10)
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/fluorowatch"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def _channel(url: str, **overrides: Any) -> Any:
    return build_channel("webhook", {"url": url, "secret": SECRET, "timeout_s": 5} | overrides)


def test_it_posts_the_notification_as_signed_json(endpoint: Endpoint) -> None:
    _channel(endpoint.url, headers={"Authorization": "Bearer receiver-token"}).send(NOTE)

    (request,) = endpoint.received
    assert (request.method, request.path) == ("POST", "/hooks/fluorowatch")
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Authorization"] == "Bearer receiver-token"
    assert request.headers["X-Fluorowatch-Idempotency-Key"] == "outbox-7:channel-2"
    document = json.loads(request.body)
    assert document == {
        "idempotency_key": "outbox-7:channel-2",
        "subject": NOTE.subject,
        "body": NOTE.body,
        "language": "ja",
        "link": NOTE.link,
        "alert": NOTE.payload,
    }
    timestamp = request.headers["X-Fluorowatch-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    assert request.headers["X-Fluorowatch-Signature"] == sign(SECRET, timestamp, request.body)
    assert verify_signature(SECRET, timestamp, request.body, request.headers["X-Fluorowatch-Signature"], time.time())


def test_the_signature_fails_for_a_tampered_body_a_wrong_secret_or_an_old_timestamp(endpoint: Endpoint) -> None:
    _channel(endpoint.url).send(NOTE)
    (request,) = endpoint.received
    timestamp, signature = request.headers["X-Fluorowatch-Timestamp"], request.headers["X-Fluorowatch-Signature"]
    now = int(timestamp)

    assert verify_signature(SECRET, timestamp, request.body, signature, now)
    tampered = request.body.replace(b"4.2", b"0.2")
    assert tampered != request.body
    assert not verify_signature(SECRET, timestamp, tampered, signature, now)
    assert not verify_signature("another-secret-of-some-length", timestamp, request.body, signature, now)
    assert not verify_signature(SECRET, str(now - 1), request.body, signature, now)  # timestamp is signed
    assert not verify_signature(SECRET, timestamp, request.body, signature, now + 301)  # a replay, later
    assert verify_signature(SECRET, timestamp, request.body, signature, now + 301, tolerance_s=600)
    assert not verify_signature(SECRET, "not-a-number", request.body, signature, now)


def test_it_reads_the_secret_from_a_file(endpoint: Endpoint, tmp_path: Path) -> None:
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")

    build_channel("webhook", {"url": endpoint.url, "secret_file": str(secret_file)}).send(NOTE)

    (request,) = endpoint.received
    timestamp = request.headers["X-Fluorowatch-Timestamp"]
    assert verify_signature(SECRET, timestamp, request.body, request.headers["X-Fluorowatch-Signature"], time.time())


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_a_delivery(endpoint: Endpoint, status: int) -> None:
    endpoint.status = status
    _channel(endpoint.url).send(NOTE)
    assert len(endpoint.received) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_a_server_error_or_rate_limit_is_transient(endpoint: Endpoint, status: int) -> None:
    endpoint.status = status

    with pytest.raises(ChannelError, match=f"HTTP {status}") as caught:
        _channel(endpoint.url).send(NOTE)

    assert not caught.value.permanent
    assert len(endpoint.received) == 1  # one attempt: the delivery worker retries


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_client_error_is_permanent(endpoint: Endpoint, status: int) -> None:
    endpoint.status = status

    with pytest.raises(ChannelError, match=f"HTTP {status}") as caught:
        _channel(endpoint.url).send(NOTE)

    assert caught.value.permanent


def test_a_redirect_is_not_followed_and_is_permanent(endpoint: Endpoint) -> None:
    endpoint.status, endpoint.headers = 302, {"Location": "/elsewhere"}

    with pytest.raises(ChannelError, match="HTTP 302") as caught:
        _channel(endpoint.url).send(NOTE)

    assert caught.value.permanent
    assert [r.path for r in endpoint.received] == ["/hooks/fluorowatch"]


def test_no_answer_within_the_timeout_is_transient(endpoint: Endpoint) -> None:
    endpoint.hold = True
    started = time.monotonic()

    with pytest.raises(ChannelError, match="timed out") as caught:
        _channel(endpoint.url, timeout_s=0.3).send(NOTE)

    assert not caught.value.permanent
    assert time.monotonic() - started < 3


def test_a_closed_port_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(ChannelError, match="refused") as caught:
        _channel(f"http://127.0.0.1:{port}/hook").send(NOTE)

    assert not caught.value.permanent


def test_a_secret_file_that_disappeared_is_permanent(endpoint: Endpoint, tmp_path: Path) -> None:
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(SECRET, encoding="utf-8")
    channel = build_channel("webhook", {"url": endpoint.url, "secret_file": str(secret_file)})
    secret_file.unlink()

    with pytest.raises(ChannelError, match="cannot read the secret file") as caught:
        channel.send(NOTE)

    assert caught.value.permanent
    assert endpoint.received == []
