"""The canonical telemetry channels (shared/domain/channels.csv, shipped in the package).

Every payload, table column and detector input uses exactly these keys.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files


class ChannelType(StrEnum):
    MEASUREMENT = "measurement"  # a physical value, stored as a float
    FLAG = "flag"  # 0/1 state (compressor on, defrost, bubbles in the sight glass)
    COUNT = "count"  # a whole-number counter (turbo-chiller purges)


@dataclass(frozen=True)
class Channel:
    key: str
    unit: str
    meaning: str
    indirect_method_item: str
    abnormal_when_leaking: str

    @property
    def type(self) -> ChannelType:
        if self.unit == "0/1":
            return ChannelType.FLAG
        if self.unit == "count":
            return ChannelType.COUNT
        return ChannelType.MEASUREMENT


@cache
def channels() -> tuple[Channel, ...]:
    """All channels in the order of channels.csv."""
    text = files("fluorowatch.domain").joinpath("data/channels.csv").read_text(encoding="utf-8")
    return tuple(Channel(**row) for row in csv.DictReader(text.splitlines()))


@cache
def channel(key: str) -> Channel:
    """The channel named `key`; `KeyError` naming the key if there is none."""
    for candidate in channels():
        if candidate.key == key:
            return candidate
    raise KeyError(f"unknown telemetry channel {key!r}")
