"""Webhook: one signed JSON POST per notification (`urllib.request`; httpx is only a dev dependency here).

The body is `{"idempotency_key", "subject", "body", "language", "link", "alert"}` in UTF-8, where `alert` is the
structured alert (`Notification.payload`). Headers:

- `X-Fluorowatch-Idempotency-Key`: the same for every retry of one message; drop a key you have seen.
- `X-Fluorowatch-Timestamp`: unix seconds when this attempt was signed.
- `X-Fluorowatch-Signature`: `sha256=` + hex HMAC-SHA256 of `"<timestamp>.<raw body>"` keyed with the secret.

A receiver checks the signature on the raw bytes it received, before parsing them::

    from alerts.channels.webhook import verify_signature
    ok = verify_signature(secret, request.headers["X-Fluorowatch-Timestamp"], raw_body,
                          request.headers["X-Fluorowatch-Signature"], now=time.time())

and answers 2xx once it has stored the message. 408, 425, 429 and 5xx answers, timeouts and connection errors
are transient (the delivery worker retries); any other answer, redirects included, is permanent: the URL or
the secret must be fixed. Each `send` is a single attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import ssl
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from alerts.channels.base import (
    IDEMPOTENCY_HEADER,
    ChannelConfig,
    ChannelError,
    Notification,
    check_one_secret,
    readable_secret,
    secret_from,
)

TIMESTAMP_HEADER = "X-Fluorowatch-Timestamp"
SIGNATURE_HEADER = "X-Fluorowatch-Signature"
MIN_SECRET_LENGTH = 16
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RESERVED = {"content-type", "content-length", "host", "transfer-encoding"}


class WebhookConfig(ChannelConfig):
    url: str
    secret_file: Path | None = None
    secret: SecretStr | None = Field(default=None, validate_default=True)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value):
            raise ValueError("expected an http:// or https:// URL with a host")
        return value

    @field_validator("secret_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and len(readable_secret(value)) < MIN_SECRET_LENGTH:
            raise ValueError(f"the secret in {value} is shorter than {MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("secret")
    @classmethod
    def _one_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"use at least {MIN_SECRET_LENGTH} characters")
        if "secret_file" in info.data:  # else the file was refused: that error is reported
            check_one_secret(value, info.data["secret_file"], "secret", required=True)
        return value

    @field_validator("headers")
    @classmethod
    def _extra_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _TOKEN.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if name.lower() in _RESERVED or name.lower().startswith("x-fluorowatch-"):
                raise ValueError(f"{name!r} is set by fluorowatch")
            if "\r" in text or "\n" in text:
                raise ValueError(f"the value of {name!r} contains a line break")
        return value


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `"<timestamp>.<body>"` keyed with `secret` (UTF-8)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, now: float,
                     tolerance_s: float = 300) -> bool:  # fmt: skip
    """For receivers: True when `signature` (the `X-Fluorowatch-Signature` header) is ours for the raw `body`
    and `timestamp` (the `X-Fluorowatch-Timestamp` header), and the timestamp is within `tolerance_s` of
    `now` (unix seconds), so a captured request cannot be replayed later. Compares in constant time."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is reported, not followed: urllib would re-send a POST as a bodiless GET."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> None:  # fmt: skip
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class WebhookChannel:
    def __init__(self, config: WebhookConfig) -> None:
        self.config = config

    def send(self, notification: Notification) -> None:
        body = _body(notification)
        timestamp = str(int(time.time()))
        headers = {
            **self.config.headers,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "fluorowatch-webhook",
            IDEMPOTENCY_HEADER: notification.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret_from(self.config.secret, self.config.secret_file), timestamp, body),
        }
        request = urllib.request.Request(self.config.url, data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.config.timeout_s):
                pass  # 2xx: urllib raises HTTPError for every other status
        except urllib.error.HTTPError as exc:
            exc.close()
            transient = exc.code >= 500 or exc.code in (408, 425, 429)
            raise ChannelError(f"webhook answered HTTP {exc.code} {exc.reason}", permanent=not transient) from exc
        except urllib.error.URLError as exc:
            permanent = isinstance(exc.reason, ssl.SSLCertVerificationError)
            raise ChannelError(f"webhook unreachable: {exc.reason}", permanent=permanent) from exc
        except (OSError, http.client.HTTPException) as exc:  # e.g. no answer within timeout_s
            raise ChannelError(f"webhook failed: {exc or type(exc).__name__}", permanent=False) from exc


def _body(notification: Notification) -> bytes:
    document = {
        "idempotency_key": notification.idempotency_key,
        "subject": notification.subject,
        "body": notification.body,
        "language": notification.language,
        "link": notification.link,
        "alert": notification.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


CONFIG = WebhookConfig
CHANNEL = WebhookChannel
