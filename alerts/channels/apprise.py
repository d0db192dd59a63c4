"""Chat and push services (Slack, Teams, LINE, Discord, ntfy, ...) through Apprise URLs: one well-kept
library rather than one module per vendor. https://github.com/caronc/apprise/wiki lists the URL forms.

Each URL is checked by Apprise when the config is parsed. The title is the subject; the plain-text body ends
with the idempotency key, the only place most chat services can carry it. Apprise reports little about why a
service failed, so a failure is transient; a URL Apprise no longer accepts (e.g. its plugin became
unavailable after an upgrade) is permanent. Apprise's own retries are off (its default), so `send` is one
attempt at each URL; when one of several URLs fails, a retry sends to all of them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from apprise import Apprise, AppriseAsset, AppriseResult, NotifyFormat, NotifyType
from pydantic import AfterValidator, Field

from alerts.channels.base import ChannelConfig, ChannelError, Notification


def _apprise_url(value: str) -> str:
    if Apprise.instantiate(value, asset=_asset()) is None:
        scheme = value.partition("://")[0] if "://" in value else ""
        service = f" for {scheme}://" if scheme.isascii() and scheme.isalnum() else ""
        raise ValueError(f"not a valid Apprise URL{service} (unknown service, missing token or unavailable plugin)")
    return value


AppriseUrl = Annotated[str, AfterValidator(_apprise_url)]


class AppriseConfig(ChannelConfig):
    urls: tuple[AppriseUrl, ...] = Field(min_length=1)
    timeout_s: float = Field(default=30.0, gt=0, le=300)


class AppriseChannel:
    def __init__(self, config: AppriseConfig) -> None:
        self.config = config

    def send(self, notification: Notification) -> None:
        services = Apprise(asset=_asset(self.config.timeout_s))
        for index, url in enumerate(self.config.urls):
            if not services.add(url):
                raise ChannelError(f"apprise.urls.{index}: no longer a valid Apprise URL", permanent=True)
        result = services.notify(
            body=f"{notification.body}\n\nID: {notification.idempotency_key}",
            title=notification.subject,
            notify_type=_notify_type(notification.payload),
            body_format=NotifyFormat.TEXT,
            timeout=self.config.timeout_s,
        )
        if not result:
            raise ChannelError(f"apprise: {_failures(result)}", permanent=False)


def _asset(timeout_s: float = 30.0) -> AppriseAsset:
    # Memory only: a service must not leave Apprise's persistent cache in its user's home.
    return AppriseAsset(storage_mode="memory", service_timeout=timeout_s, timezone="Asia/Tokyo")


def _notify_type(payload: Mapping[str, Any]) -> NotifyType:
    if payload.get("status") == "resolved":
        return NotifyType.SUCCESS
    severity = payload.get("severity")
    if severity in ("critical", "high"):
        return NotifyType.FAILURE
    return NotifyType.WARNING if severity == "medium" else NotifyType.INFO


def _failures(result: AppriseResult) -> str:
    """Which services failed and Apprise's last word on each (its logs mask credentials)."""
    failed = []
    for service in result:
        if not service:
            messages = [entry.message for entry in service.logs()]
            failed.append(f"{service.name} {service.status.name.lower()}" + (f": {messages[-1]}" if messages else ""))
    return "; ".join(failed) or f"status {result.status.name.lower()}"


CONFIG = AppriseConfig
CHANNEL = AppriseChannel
