"""Exponential back-off with full jitter, for reconnecting to the broker."""

from __future__ import annotations

import random


class Backoff:
    """Delays of uniform(0, min(cap, base * 2**attempt)) seconds; `reset()` after a success."""

    def __init__(self, base_s: float = 1.0, cap_s: float = 60.0, rng: random.Random | None = None) -> None:
        self.base_s, self.cap_s = base_s, cap_s
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 32)
        return self._rng.uniform(0, ceiling)

    def reset(self) -> None:
        self._attempt = 0
