"""The e-mail channel against a real SMTP server (aiosmtpd on loopback, started per test)."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from alerts.channels import ChannelError, Notification, build_channel

SUBJECT = "[fluorowatch] 冷媒漏えいの疑い: SM-TKY-001-SC03 (渋谷店) 推定 4.2% 損失"
NOTE = Notification(
    idempotency_key="outbox-41:channel-3",
    subject=SUBJECT,
    body="冷媒漏えいの疑い（発生）\n事業所: 渋谷店\n詳細: https://fw.example.jp/units/SM-TKY-001-SC03",
    language="ja",
    link="https://fw.example.jp/units/SM-TKY-001-SC03",
    payload={"id": 41, "category": "leak"},
)


@dataclass
class Inbox:
    """What the server received, and how it answers RCPT (address -> reply, default 250)."""

    envelopes: list[Envelope] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def message(self, index: int = 0) -> email.message.EmailMessage:
        content = self.envelopes[index].original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Inbox, int]]]:
    """Start an SMTP server on a free loopback port; keyword arguments go to aiosmtpd's SMTP."""
    controllers: list[Controller] = []

    def start(**smtp_options: Any) -> tuple[Inbox, int]:
        inbox = Inbox()
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **smtp_options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


def _config(port: int, **overrides: Any) -> dict[str, Any]:
    config = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_address": "fluorowatch <alerts@fw.example.jp>",
        "to": ["tanaka@shop.example.jp", "山田 <yamada@shop.example.jp>"],
        "timeout_s": 5,
    }
    return config | overrides


def _authenticator(accept: bool, inbox: Inbox) -> Callable[..., AuthResult]:
    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        inbox.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=accept, handled=False)  # not handled: aiosmtpd answers 535

    return check


def test_it_delivers_to_every_recipient_with_the_japanese_subject_and_the_idempotency_key(smtp_server) -> None:
    inbox, port = smtp_server()

    build_channel("email", _config(port)).send(NOTE)

    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "alerts@fw.example.jp"
    assert envelope.rcpt_tos == ["tanaka@shop.example.jp", "yamada@shop.example.jp"]
    message = inbox.message()
    assert message["Subject"] == SUBJECT
    assert message["X-Fluorowatch-Idempotency-Key"] == "outbox-41:channel-3"
    assert message["To"].addresses[1].display_name == "山田"
    assert message["Content-Language"] == "ja"
    body = message.get_body()
    assert body is not None and "事業所: 渋谷店" in body.get_content()
    assert (envelope.original_content or b"").isascii()  # 7-bit safe through any relay


def test_a_retried_message_keeps_its_message_id(smtp_server) -> None:
    inbox, port = smtp_server()
    channel = build_channel("email", _config(port))

    channel.send(NOTE)
    channel.send(NOTE)

    first, second = inbox.message(0), inbox.message(1)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].endswith("@fw.example.jp>")


def test_it_logs_in_with_the_password_from_a_file(smtp_server, tmp_path: Path) -> None:
    inbox = Inbox()
    _, port = smtp_server(auth_require_tls=False, authenticator=_authenticator(True, inbox))
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret-pass\n", encoding="utf-8")

    config = _config(port, username="fw-alerts", password_file=str(secret))
    build_channel("email", config).send(NOTE)

    assert inbox.logins == [(b"fw-alerts", b"s3cret-pass")]


def test_a_refused_login_is_permanent(smtp_server) -> None:
    inbox = Inbox()
    _, port = smtp_server(auth_require_tls=False, authenticator=_authenticator(False, inbox))

    with pytest.raises(ChannelError, match="login refused: 535") as caught:
        build_channel("email", _config(port, username="fw-alerts", password="wrong")).send(NOTE)

    assert caught.value.permanent
    assert "wrong" not in str(caught.value)


def test_a_recipient_refused_with_5xx_by_every_address_is_permanent(smtp_server) -> None:
    inbox, port = smtp_server()
    inbox.rcpt_replies = {address: "550 5.1.1 no such user" for address in ("a@x.example", "b@x.example")}

    with pytest.raises(ChannelError, match="no such user") as caught:
        build_channel("email", _config(port, to=["a@x.example", "b@x.example"])).send(NOTE)

    assert caught.value.permanent
    assert inbox.envelopes == []


def test_one_recipient_refused_still_delivers_to_the_others_and_reports_it(smtp_server) -> None:
    inbox, port = smtp_server()
    inbox.rcpt_replies = {"gone@x.example": "550 5.1.1 no such user"}

    with pytest.raises(ChannelError, match=r"delivered to 1 of 2, recipients refused: gone@x\.example") as caught:
        build_channel("email", _config(port, to=["ok@x.example", "gone@x.example"])).send(NOTE)

    assert caught.value.permanent
    assert inbox.envelopes[0].rcpt_tos == ["ok@x.example"]


def test_a_4xx_refusal_is_transient(smtp_server) -> None:
    inbox, port = smtp_server()
    inbox.rcpt_replies = {"tanaka@shop.example.jp": "451 4.3.0 try again later"}

    with pytest.raises(ChannelError, match="451") as caught:
        build_channel("email", _config(port, to=["tanaka@shop.example.jp"])).send(NOTE)

    assert not caught.value.permanent


def test_starttls_required_but_not_offered_is_permanent(smtp_server) -> None:
    _, port = smtp_server()

    with pytest.raises(ChannelError, match="STARTTLS") as caught:
        build_channel("email", _config(port, security="starttls")).send(NOTE)

    assert caught.value.permanent


def test_a_closed_port_is_transient() -> None:
    port = _free_port()  # nothing listens there any more

    with pytest.raises(ChannelError, match="refused") as caught:
        build_channel("email", _config(port)).send(NOTE)

    assert not caught.value.permanent


def test_a_server_that_never_greets_is_a_transient_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts the connection; nobody ever answers
        port = silent.getsockname()[1]
        started = time.monotonic()

        with pytest.raises(ChannelError, match="timed out") as caught:
            build_channel("email", _config(port, timeout_s=0.3)).send(NOTE)

    assert not caught.value.permanent
    assert time.monotonic() - started < 3
