"""Reconnect delays: exponential with full jitter, capped, reset after a success."""

from __future__ import annotations

import random

from edge_agent.backoff import Backoff


def test_delays_grow_exponentially_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(base_s=1.0, cap_s=8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(200)]
    ceilings = [min(8.0, 2.0**n) for n in range(200)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[10:]) > 6.0  # the cap is reached
    assert len({round(d, 6) for d in delays[10:]}) > 150  # jittered, not a fixed schedule


def test_a_success_resets_the_delay() -> None:
    backoff = Backoff(base_s=1.0, cap_s=60.0, rng=random.Random(2))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0
