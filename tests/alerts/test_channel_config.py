"""Channel configs: every invalid field is refused when the config is parsed, and the error names it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alerts.channels import CHANNELS, ChannelConfigError, build_channel, parse_channel_config
from alerts.channels.email import EmailConfig
from alerts.channels.webhook import WebhookConfig

EMAIL: dict[str, Any] = {
    "host": "smtp.example.jp",
    "port": 587,
    "from_address": "fluorowatch <alerts@fw.example.jp>",
    "to": ["tanaka@shop.example.jp"],
}
WEBHOOK: dict[str, Any] = {"url": "https://hooks.example.jp/fluorowatch", "secret": "sixteen-chars-at-least"}


def _error(kind: str, config: Any) -> str:
    with pytest.raises(ChannelConfigError) as caught:
        parse_channel_config(kind, config)
    return str(caught.value)


def test_valid_configs_parse_with_their_defaults() -> None:
    email = parse_channel_config("email", EMAIL)
    assert isinstance(email, EmailConfig)
    assert (email.security, email.timeout_s, email.to) == ("starttls", 10.0, ("tanaka@shop.example.jp",))
    webhook = parse_channel_config("webhook", WEBHOOK)
    assert isinstance(webhook, WebhookConfig)
    assert (webhook.timeout_s, webhook.headers) == (10.0, {})


def test_an_unknown_kind_lists_the_known_ones() -> None:
    message = _error("sms", {})
    assert message == "kind: unknown channel kind 'sms'; known kinds: apprise, email, webhook"
    assert set(CHANNELS) == {"apprise", "email", "webhook"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"host": None}, "email.host: Input should be a valid string"),
        ({"host": "smtp://smtp.example.jp"}, "email.host: expected a host name or address"),
        ({"port": 0}, "email.port: must be between 1 and 65535"),
        ({"port": 65536}, "email.port: must be between 1 and 65535"),
        ({"port": "smtp"}, "email.port: Input should be a valid integer"),
        ({"security": "ssl"}, "email.security: Input should be 'starttls', 'tls' or 'none'"),
        ({"from_address": "alerts at fw"}, "email.from_address: not an e-mail address"),
        ({"to": []}, "email.to: Tuple should have at least 1 item"),
        ({"to": ["ok@shop.example.jp", "tanaka@"]}, "email.to.1: not an e-mail address"),
        ({"to": "tanaka@shop.example.jp"}, "email.to: Input should be a valid tuple"),
        ({"timeout_s": 0}, "email.timeout_s: Input should be greater than 0"),
        ({"helo_name": "fw host"}, "email.helo_name: expected a host name"),
        ({"username": "fw"}, "email.password: give password or password_file"),
        ({"password": "pw"}, "email.password: password or password_file given without a username"),
        ({"username": "fw", "password": "パスワード"}, "email.password: must be ASCII"),
        ({"tls": True}, "email.tls: unknown field"),
    ],
)
def test_an_invalid_email_field_is_named(change: dict[str, Any], expected: str) -> None:
    assert _error("email", EMAIL | change).startswith(expected)


def test_a_missing_field_is_named() -> None:
    config = {k: v for k, v in EMAIL.items() if k != "from_address"}
    assert _error("email", config) == "email.from_address: Field required"


def test_password_files_are_checked_when_parsed(tmp_path: Path) -> None:
    given = tmp_path / "password"
    given.write_text("pw\n", encoding="utf-8")
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    user = EMAIL | {"username": "fw"}

    assert parse_channel_config("email", user | {"password_file": str(given)})
    assert _error("email", user | {"password_file": str(tmp_path / "missing")}).startswith(
        "email.password_file: cannot read"
    )
    assert _error("email", user | {"password_file": str(tmp_path / "empty")}).endswith("empty is empty")
    assert _error("email", user | {"password_file": str(given), "password": "pw"}) == (
        "email.password: give password or password_file, not both"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"url": "ftp://hooks.example.jp/x"}, "webhook.url: expected an http:// or https:// URL with a host"),
        ({"url": "https:///no-host"}, "webhook.url: expected an http:// or https:// URL with a host"),
        ({"url": "hooks.example.jp/x"}, "webhook.url: expected an http:// or https:// URL with a host"),
        ({"secret": None}, "webhook.secret: give secret or secret_file"),
        ({"secret": "short"}, "webhook.secret: use at least 16 characters"),
        ({"timeout_s": 121}, "webhook.timeout_s: Input should be less than or equal to 120"),
        ({"headers": {"Bad Name": "x"}}, "webhook.headers: 'Bad Name' is not a valid header name"),
        ({"headers": {"X-Fluorowatch-Signature": "x"}}, "webhook.headers: 'X-Fluorowatch-Signature' is set by"),
        ({"headers": {"Content-Type": "text/plain"}}, "webhook.headers: 'Content-Type' is set by fluorowatch"),
        ({"headers": {"X-Token": "a\r\nX-Evil: 1"}}, "webhook.headers: the value of 'X-Token' contains a line"),
        ({"retries": 3}, "webhook.retries: unknown field"),
    ],
)
def test_an_invalid_webhook_field_is_named(change: dict[str, Any], expected: str) -> None:
    assert _error("webhook", WEBHOOK | change).startswith(expected)


def test_webhook_secret_files_are_checked_when_parsed(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("tiny\n", encoding="utf-8")
    no_inline = {"url": WEBHOOK["url"]}

    assert _error("webhook", no_inline | {"secret_file": str(short)}) == (
        f"webhook.secret_file: the secret in {short} is shorter than 16 characters"
    )
    assert _error("webhook", no_inline | {"secret_file": str(tmp_path / "nope")}).startswith(
        "webhook.secret_file: cannot read"
    )
    short.write_text("long-enough-secret-value", encoding="utf-8")
    assert _error("webhook", WEBHOOK | {"secret_file": str(short)}) == (
        "webhook.secret: give secret or secret_file, not both"
    )


def test_a_config_that_is_not_a_mapping_is_refused() -> None:
    assert _error("webhook", ["https://hooks.example.jp"]).startswith("webhook: Input should be a valid dictionary")


def test_errors_and_reprs_never_show_a_secret() -> None:
    secret = "do-not-print-this-secret"
    assert secret not in repr(parse_channel_config("webhook", WEBHOOK | {"secret": secret}))
    assert secret not in _error("webhook", WEBHOOK | {"secret": secret, "url": "ftp://x"})
    assert "パスワード" not in _error("email", EMAIL | {"username": "fw", "password": "パスワード"})


def test_a_parsed_config_is_frozen() -> None:
    config = parse_channel_config("email", EMAIL)
    assert isinstance(config, EmailConfig)
    with pytest.raises(ValidationError):
        config.port = 25


def test_build_channel_refuses_a_config_of_another_kind() -> None:
    webhook = parse_channel_config("webhook", WEBHOOK)
    with pytest.raises(ChannelConfigError, match=re.escape("email: expected EmailConfig, got WebhookConfig")):
        build_channel("email", webhook)


def test_build_channel_validates_a_raw_config() -> None:
    with pytest.raises(ChannelConfigError, match=r"^webhook\.url: "):
        build_channel("webhook", WEBHOOK | {"url": "mailto:x@y"})
    assert isinstance(ChannelConfigError("x"), ValueError)
