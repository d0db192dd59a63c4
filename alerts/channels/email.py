"""E-mail over SMTP (`smtplib`): one message to all of `to`, plain text in UTF-8.

The idempotency key travels in `X-Fluorowatch-Idempotency-Key`, and the Message-ID is derived from it, so a
retried delivery is the same message to mail clients. Refused credentials, a 5xx reply and a server without
the required STARTTLS or AUTH are permanent errors; a refused or dropped connection, a timeout and a 4xx reply
are transient.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, ValidationInfo, field_validator

from alerts.channels.base import (
    IDEMPOTENCY_HEADER,
    ChannelConfig,
    ChannelError,
    Notification,
    check_one_secret,
    readable_secret,
    secret_from,
)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^[^@\s<>()\[\],;:\"\\]+@(?:{_LABEL}\.)*{_LABEL}$")
# Non-ASCII bodies go out as base64 or quoted-printable: no relay on the way has to support 8BITMIME.
_POLICY = SMTP_POLICY.clone(cte_type="7bit")
_ASCII_ONLY = "must be ASCII (smtplib sends SMTP AUTH credentials as ASCII)"


def _address(value: str) -> str:
    """`user@example.jp` or `Name <user@example.jp>`."""
    name, address = parseaddr(value)
    if not _ADDRESS.match(address) or (not name and address != value.strip()):
        raise ValueError("not an e-mail address")
    return value.strip()


Address = Annotated[str, AfterValidator(_address)]


class EmailConfig(ChannelConfig):
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_file: Path | None = None
    password: SecretStr | None = Field(default=None, validate_default=True)
    from_address: Address
    to: tuple[Address, ...] = Field(min_length=1)
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    helo_name: str | None = None

    @field_validator("host", "helo_name")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", value):
            raise ValueError("expected a host name or address like smtp.example.jp (not a URL)")
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be between 1 and 65535")
        return value

    @field_validator("password_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not readable_secret(value).isascii():
            raise ValueError(f"the password in {value} {_ASCII_ONLY}")
        return value

    @field_validator("password")
    @classmethod
    def _credentials(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and not value.get_secret_value().isascii():
            raise ValueError(_ASCII_ONLY)
        if "password_file" not in info.data:
            return value  # the file was refused: that error is reported
        path = info.data["password_file"]
        if info.data.get("username") is None:
            if value is not None or path is not None:
                raise ValueError("password or password_file given without a username")
            return value
        check_one_secret(value, path, "password", required=True)
        return value


class EmailChannel:
    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def send(self, notification: Notification) -> None:
        recipients = [parseaddr(address)[1] for address in self.config.to]
        username = self.config.username
        password = secret_from(self.config.password, self.config.password_file) if username else None
        try:
            with self._connect() as smtp:
                if username is not None and password is not None:
                    smtp.login(username, password)
                refused = smtp.send_message(self._message(notification), to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:  # 535 wrong credentials; 454 a temporary failure
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise ChannelError(f"SMTP login refused: {reply}", permanent=exc.smtp_code >= 500) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc.recipients, len(recipients)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelError(f"SMTP server lacks a needed extension: {exc}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise ChannelError(f"SMTP error: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=permanent) from exc
        except ssl.SSLCertVerificationError as exc:
            raise ChannelError(f"SMTP server certificate refused: {exc.verify_message}", permanent=True) from exc
        except OSError as exc:  # refused or dropped connection, timeout, TLS failure, other SMTPException
            where = f"{self.config.host}:{self.config.port}"
            raise ChannelError(f"SMTP {where}: {exc or type(exc).__name__}", permanent=False) from exc
        if refused:
            raise _refused(refused, len(recipients))

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context()
        helo = config.helo_name  # None: smtplib uses this machine's FQDN
        if config.security == "tls":
            return smtplib.SMTP_SSL(config.host, config.port, helo, timeout=config.timeout_s, context=context)
        smtp = smtplib.SMTP(config.host, config.port, helo, timeout=config.timeout_s)
        if config.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _message(self, notification: Notification) -> EmailMessage:
        domain = parseaddr(self.config.from_address)[1].rpartition("@")[2]
        key_hash = hashlib.sha256(notification.idempotency_key.encode("utf-8")).hexdigest()[:40]
        message = EmailMessage(policy=_POLICY)
        message["Subject"] = notification.subject
        message["From"] = self.config.from_address
        message["To"] = ", ".join(self.config.to)
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = f"<{key_hash}.fluorowatch@{domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to an alert
        message[IDEMPOTENCY_HEADER] = notification.idempotency_key
        message.set_content(notification.body)
        message["Content-Language"] = notification.language  # after set_content, which drops Content-* headers
        return message


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}".strip()


def _refused(refused: dict[str, tuple[int, bytes]], total: int) -> ChannelError:
    """Permanent when every refusal is a 5xx: the address itself is wrong. Some recipients may already have it."""
    detail = "; ".join(f"{address}: {_reply(code, text)}" for address, (code, text) in refused.items())
    delivered = total - len(refused)
    prefix = f"delivered to {delivered} of {total}, " if delivered else ""
    permanent = all(500 <= code < 600 for code, _ in refused.values())
    return ChannelError(f"{prefix}recipients refused: {detail}", permanent=permanent)


CONFIG = EmailConfig
CHANNEL = EmailChannel
