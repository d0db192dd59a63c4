"""Process settings: one `Settings` object per process, read from the environment at start-up.

`DATABASE_URL` and `MQTT_URL` keep their conventional names; every other setting is `FLUOROWATCH_<NAME>`.
A secret may also be given as `<NAME>_FILE` pointing at a file (Docker secrets). A malformed value or an
unknown `FLUOROWATCH_*` variable fails at start-up with the key named.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "FLUOROWATCH_"
_PLACEHOLDER_SECRET = "change-me"

# REGULATION.md (p) ハ: measured values and diagnoses are kept at least one year; never configurable below.
MIN_RETENTION_DAYS = 366


def check_retention_days(days: int) -> None:
    """Refuse a telemetry retention under the legal floor (REGULATION.md (p) ハ; 366: a leap year has 366 days)."""
    if days < MIN_RETENTION_DAYS:
        raise ValueError(
            f"telemetry retention of {days} days is shorter than the legal minimum of {MIN_RETENTION_DAYS}"
        )


class SettingsError(Exception):
    """A setting is missing, unknown or malformed; the message names the key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, case_sensitive=False, extra="forbid")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", f"{PREFIX}DATABASE_URL")
    )
    mqtt_url: str | None = Field(default=None, validation_alias=AliasChoices("MQTT_URL", f"{PREFIX}MQTT_URL"))
    environment: Literal["development", "production"] = "development"
    secret_key: str = _PLACEHOLDER_SECRET
    display_timezone: str = "Asia/Tokyo"
    data_dir: Path = Path(".fluorowatch")
    telemetry_retention_days: int = Field(default=3 * 365, ge=MIN_RETENTION_DAYS)
    # Alerts, their audit and every notification attempt are kept at least a year (REGULATION.md (p) ニ); the
    # tables refuse deletion, and a shorter configured retention is refused here, at start-up.
    alert_retention_days: int = Field(default=3 * 365, ge=MIN_RETENTION_DAYS)
    # A leak alert whose estimated loss reaches this (% of the charge) is confirmed by policy and its repair
    # ticket opened without waiting for the manager (REGULATION.md (d1)); unset: the manager confirms.
    auto_ticket_loss_pct: float | None = Field(default=None, gt=0, le=100)
    topic_prefix: str = Field(default="fw", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    data_gap_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    database_wait_seconds: float = Field(default=30.0, ge=0)
    # An unacknowledged leak alert goes one organisation level up after this, and again after each further
    # delay (alerts.lifecycle); the manager is notified at once in any case (REGULATION.md (p) ニ).
    escalation_hours: float = Field(default=4.0, gt=0, le=7 * 24)
    public_url: str = "http://127.0.0.1:8000"  # where people open fluorowatch: the links in notifications
    # A web session ends after this long unused, and this long after signing in however used (api/auth.py).
    session_idle_hours: float = Field(default=12.0, gt=0, le=7 * 24)
    session_absolute_days: float = Field(default=7.0, gt=0, le=90)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None:
            _require_url(value, ("postgresql", "postgres"), "a PostgreSQL URL like postgresql://user@host:5432/db")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str | None) -> str | None:
        if value is not None:
            _require_url(value, ("mqtt", "mqtts"), "an MQTT URL like mqtt://user:pass@host:1883")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        _require_url(value, ("http", "https"), "an http(s) URL like https://fluorowatch.example.jp")
        return value.rstrip("/")

    @field_validator("display_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def timezone(self) -> ZoneInfo:
        """Display time zone only: everything is stored in UTC."""
        return ZoneInfo(self.display_timezone)

    @property
    def escalation_delay(self) -> timedelta:
        return timedelta(hours=self.escalation_hours)


def _require_url(value: str, schemes: tuple[str, ...], expected: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in schemes or (not parts.hostname and "host=" not in parts.query):
        raise ValueError(f"expected {expected}")


_SECRET_FIELDS = ("secret_key", "database_url", "mqtt_url")


def load_settings() -> Settings:
    """Read and validate the settings from the environment; raise `SettingsError` naming the offending key."""
    _reject_unknown(os.environ)
    values = _secrets_from_files(os.environ)
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    if settings.environment == "production" and settings.secret_key == _PLACEHOLDER_SECRET:
        raise SettingsError(f"{PREFIX}SECRET_KEY: set a real secret in production")
    return settings


def _reject_unknown(env: Mapping[str, str]) -> None:
    known = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
    known |= {f"{PREFIX}{name.upper()}_FILE" for name in _SECRET_FIELDS}
    for key in env:
        if key.upper().startswith(PREFIX) and key.upper() not in known:
            raise SettingsError(f"{key}: unknown setting")


def _secrets_from_files(env: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in _SECRET_FIELDS:
        for key in (f"{PREFIX}{name.upper()}_FILE", f"{name.upper()}_FILE"):
            path = env.get(key)
            if path is None:
                continue
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SettingsError(f"{key}: cannot read {path}: {exc.strerror}") from None
    return values


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]).upper() if error["loc"] else "?"
    key = field if field in {"DATABASE_URL", "MQTT_URL"} or field.startswith(PREFIX) else PREFIX + field
    return f"{key}: {error['msg'].removeprefix('Value error, ')}"
