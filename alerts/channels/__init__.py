"""Notification channels: one module per kind, imported only when a channel of that kind is used.

Each module in `CHANNELS` defines `CONFIG` (its pydantic config model, a `ChannelConfig`) and `CHANNEL` (a
class built from that config and keeping the `Channel` contract of `alerts.channels.base`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from alerts.channels.base import (
    Channel,
    ChannelConfig,
    ChannelConfigError,
    ChannelError,
    Notification,
    describe,
)

__all__ = [
    "CHANNELS",
    "Channel",
    "ChannelConfig",
    "ChannelConfigError",
    "ChannelError",
    "Notification",
    "build_channel",
    "parse_channel_config",
]

CHANNELS: dict[str, str] = {
    "email": "alerts.channels.email",
    "webhook": "alerts.channels.webhook",
    "apprise": "alerts.channels.apprise",
}


def parse_channel_config(kind: str, config: Mapping[str, Any]) -> ChannelConfig:
    """`config` validated for `kind`; raise `ChannelConfigError` naming the first offending field."""
    model: type[ChannelConfig] = _module(kind).CONFIG
    try:
        return model.model_validate(config)
    except ValidationError as exc:
        raise ChannelConfigError(describe(kind, exc)) from None


def build_channel(kind: str, config: Mapping[str, Any] | ChannelConfig) -> Channel:
    """A ready channel of `kind` from a raw config (validated here) or an already parsed one."""
    module = _module(kind)
    if not isinstance(config, ChannelConfig):
        config = parse_channel_config(kind, config)
    elif not isinstance(config, module.CONFIG):
        raise ChannelConfigError(f"{kind}: expected {module.CONFIG.__name__}, got {type(config).__name__}")
    channel: Channel = module.CHANNEL(config)
    return channel


def _module(kind: str) -> ModuleType:
    path = CHANNELS.get(kind)
    if path is None:
        raise ChannelConfigError(f"kind: unknown channel kind {kind!r}; known kinds: {', '.join(sorted(CHANNELS))}")
    return importlib.import_module(path)
