"""The contract every notification channel keeps, and what the config models share.

A channel makes ONE delivery attempt per `send`: it returns when the receiver accepted the message and raises
`ChannelError` otherwise. Retrying is the delivery worker's job: a transient error is retried later, a
permanent one marks the channel broken until someone fixes its configuration. Delivery is at least once, so
every message carries `Notification.idempotency_key` for the receiver to drop duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

Language = Literal["ja", "en"]

# Sent with every message (e-mail header, webhook header) so receivers can de-duplicate.
IDEMPOTENCY_HEADER = "X-Fluorowatch-Idempotency-Key"


@dataclass(frozen=True)
class Notification:
    """One message for one channel, rendered in the recipient's language (see `alerts.message`).

    `idempotency_key` is stable for an outbox row and channel: a retried delivery carries the same key.
    `payload` is the structured alert (id, site, equipment, circuit, category, severity, status, estimated
    loss, kg and t-CO2 a year, evidence, first seen, ...) as JSON-ready values.
    """

    idempotency_key: str
    subject: str
    body: str
    language: Language
    link: str
    payload: dict[str, Any]


class ChannelError(Exception):
    """A delivery attempt failed. `permanent`: retrying the same message cannot succeed (bad address,
    refused credentials, endpoint gone); otherwise the worker retries later."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class ChannelConfigError(ValueError):
    """A channel configuration is invalid; the message starts with the offending field, e.g. `email.port: ...`."""


class Channel(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver once; raise `ChannelError` on failure."""
        ...


class ChannelConfig(BaseModel):
    """Base of the per-kind config models: unknown keys are errors, values never change after parsing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def secret_from(value: SecretStr | None, path: Path | None) -> str:
    """The secret given inline or in a file (Docker secrets), read at each send so a rotated file is picked up.
    A file that became unreadable is a permanent `ChannelError`: someone must restore it."""
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ChannelError(f"cannot read the secret file {path}: {exc.strerror}", permanent=True) from None
    return value.get_secret_value() if value is not None else ""


def check_one_secret(value: SecretStr | None, path: Path | None, name: str, *, required: bool) -> None:
    """A `<name>` / `<name>_file` pair: not both, and one of them when `required`."""
    if value is not None and path is not None:
        raise ValueError(f"give {name} or {name}_file, not both")
    if required and value is None and path is None:
        raise ValueError(f"give {name} or {name}_file")


def readable_secret(path: Path) -> str:
    """The secret in `path`, which must be readable and not empty (checked when the config is parsed)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ValueError(f"{path} is empty")
    return text


def describe(kind: str, exc: ValidationError) -> str:
    """`kind.field.index: message` for the first error, never echoing the offending value (it may be a secret)."""
    error = exc.errors()[0]
    key = ".".join([kind, *(str(part) for part in error["loc"])])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{key}: {message}"
