"""One reading: the operating values of one refrigerant circuit at one measurement time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

ChannelValue = float | int | bool | None


@dataclass(frozen=True, slots=True)
class Reading:
    """Values keyed exactly as in channels.csv; `ts` is the measurement time (timezone-aware, UTC)."""

    equipment: str  # the unit's management number (管理番号)
    circuit: int
    ts: datetime
    values: Mapping[str, ChannelValue]
