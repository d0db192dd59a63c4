"""Seeded random numbers addressed by step index, so that any window of a run draws the same values.

Draws come in fixed blocks of steps, each from its own generator seeded by (unit seed, stream, circuit,
block). A window [i0, i1) therefore sees exactly the values the whole run sees at those steps, which is
what lets the driver generate a day at a time and still match a one-shot simulation.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Streams"]

FloatArray = npt.NDArray[np.float64]
_BLOCK = 4096


@dataclass(frozen=True)
class Streams:
    """Named random streams of one unit and circuit (circuit 0 = shared by the unit)."""

    seed: int
    circuit: int = 0

    def normal(self, stream: str, i0: int, i1: int) -> FloatArray:
        """Standard normal draws for steps i0 <= i < i1 of ``stream``."""
        return self._window(stream, i0, i1, lambda rng, n: rng.standard_normal(n))

    def uniform(self, stream: str, i0: int, i1: int) -> FloatArray:
        """Uniform [0, 1) draws for steps i0 <= i < i1 of ``stream``."""
        return self._window(stream, i0, i1, lambda rng, n: rng.random(n))

    def constants(self, stream: str) -> np.random.Generator:
        """A generator for per-unit constants (sizes, offsets) of ``stream``."""
        return np.random.default_rng([self.seed, _stream_id(stream), self.circuit, 2**31])

    def _window(
        self, stream: str, i0: int, i1: int, draw: Callable[[np.random.Generator, int], FloatArray]
    ) -> FloatArray:
        if i1 <= i0:
            return np.empty(0)
        first, last = i0 // _BLOCK, (i1 - 1) // _BLOCK
        key = _stream_id(stream)
        blocks = [
            draw(np.random.default_rng([self.seed, key, self.circuit, b]), _BLOCK) for b in range(first, last + 1)
        ]
        offset = i0 - first * _BLOCK
        return np.concatenate(blocks)[offset : offset + (i1 - i0)]

    def _block_generator(self, key: int, block: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, key, self.circuit, block])


def _stream_id(stream: str) -> int:
    return zlib.crc32(stream.encode())
