"""The Apprise channel, with an Apprise `json://` URL pointed at a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from alerts.channels import ChannelConfigError, ChannelError, Notification, build_channel, parse_channel_config
from alerts.channels.apprise import AppriseConfig

NOTE = Notification(
    idempotency_key="outbox-9:channel-4",
    subject="[fluorowatch] 冷媒漏えいの疑い: SM-TKY-001-SC03 (渋谷店) 推定 4.2% 損失",
    body="冷媒漏えいの疑い（発生）\n事業所: 渋谷店",
    language="ja",
    link="https://fw.example.jp/units/SM-TKY-001-SC03",
    payload={"id": 9, "category": "leak", "severity": "high", "status": "raised"},
)


@dataclass
class Receiver:
    port: int = 0
    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.paths.append(self.path)
            state.bodies.append(json.loads(body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_message_arrives_through_an_apprise_url(receiver: Receiver) -> None:
    build_channel("apprise", {"urls": [f"json://127.0.0.1:{receiver.port}/notify"], "timeout_s": 5}).send(NOTE)

    assert receiver.paths == ["/notify"]
    (body,) = receiver.bodies
    assert body["title"] == NOTE.subject
    assert body["message"].startswith("冷媒漏えいの疑い（発生）\n事業所: 渋谷店")
    assert body["message"].endswith("ID: outbox-9:channel-4")
    assert body["type"] == "failure"  # a high-severity alert


def test_every_url_gets_the_message(receiver: Receiver) -> None:
    urls = [f"json://127.0.0.1:{receiver.port}/first", f"json://127.0.0.1:{receiver.port}/second"]

    build_channel("apprise", {"urls": urls, "timeout_s": 5}).send(NOTE)

    assert sorted(receiver.paths) == ["/first", "/second"]


def test_a_failing_service_is_transient(receiver: Receiver) -> None:
    receiver.status = 500

    with pytest.raises(ChannelError, match="apprise: JSON failure") as caught:
        build_channel("apprise", {"urls": [f"json://127.0.0.1:{receiver.port}/notify"], "timeout_s": 5}).send(NOTE)

    assert not caught.value.permanent
    assert len(receiver.bodies) == 1  # no retry inside the channel


def test_a_url_apprise_no_longer_accepts_is_permanent() -> None:
    # As if stored when valid and the plugin became unavailable since: parsing is skipped on purpose.
    config = AppriseConfig.model_construct(urls=("json://127.0.0.1:9/ok", "nosuchservice://x"), timeout_s=5.0)

    with pytest.raises(ChannelError, match=r"apprise\.urls\.1: no longer a valid Apprise URL") as caught:
        build_channel("apprise", config).send(NOTE)

    assert caught.value.permanent


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        (["json://127.0.0.1/ok", "nosuchservice://token"], r"^apprise\.urls\.1: not a valid Apprise URL"),
        (["slack://"], r"^apprise\.urls\.0: not a valid Apprise URL for slack://"),
        (["just some words"], r"^apprise\.urls\.0: not a valid Apprise URL"),
        ([], r"^apprise\.urls: .*at least 1 item"),
    ],
)
def test_an_invalid_apprise_url_is_refused_when_the_config_is_parsed(urls: list[str], message: str) -> None:
    with pytest.raises(ChannelConfigError, match=message):
        parse_channel_config("apprise", {"urls": urls})


def test_the_error_never_echoes_the_url_and_its_tokens() -> None:
    with pytest.raises(ChannelConfigError) as caught:
        parse_channel_config("apprise", {"urls": ["json://127.0.0.1/ok", "mailto://alerts:s3kr1t-pw@"]})
    assert str(caught.value).startswith("apprise.urls.1: not a valid Apprise URL for mailto://")
    assert "s3kr1t-pw" not in str(caught.value)
