"""The learned model's novelty part: a robust covariance of the healthy window's smoothed departures."""

from __future__ import annotations

import numpy as np

from detectors.model import NOVELTY_VALUES, _novelty


def _window(constant: str | None = None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    values = {key: rng.normal(0.0, 1.0, 400) for key in NOVELTY_VALUES}
    if constant is not None:
        values[constant] = np.zeros(400)
    return values


def test_a_value_that_never_moved_in_the_window_does_not_break_the_model() -> None:
    window = _window(constant="air_dt_k")
    novelty = _novelty(window, dict.fromkeys(window, 1.0))
    assert novelty is not None
    assert np.isfinite(novelty.distance2(np.zeros(len(novelty.keys))))


def test_healthy_hours_are_not_novel_and_a_far_departure_is() -> None:
    window = _window()
    novelty = _novelty(window, dict.fromkeys(window, 1.0))
    assert novelty is not None
    assert novelty.distance2(np.zeros(len(novelty.keys))) < novelty.threshold
    far = np.zeros(len(novelty.keys))
    far[novelty.keys.index("superheat_k")] = 40.0
    assert novelty.distance2(far) > novelty.threshold


def test_too_short_a_window_gives_no_novelty_model() -> None:
    window = {key: values[:20] for key, values in _window().items()}
    assert _novelty(window, dict.fromkeys(window, 1.0)) is None
