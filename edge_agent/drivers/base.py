"""The contract every equipment driver fulfils."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from edge_agent.reading import Reading


class DriverError(Exception):
    """A read failed (device unreachable, bad register, end of file…). The agent logs, counts and retries."""


class Driver(Protocol):
    def read(self, now: datetime) -> list[Reading]:
        """The readings measured since the previous call, up to `now` (UTC), oldest first; may be empty."""
        ...

    def close(self) -> None:
        """Release the connection or file; the driver is not used afterwards."""
        ...
