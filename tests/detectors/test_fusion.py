"""Hysteresis of one verdict (detectors/fusion.py): no alarm on one noisy hour, no flapping, a clear only after
the fault has been gone for ``clear`` hours, and the state survives JSON between calls."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from detectors.fusion import CLEAR_HOURS, CONFIRM_HOURS, WINDOW_HOURS, Hysteresis

H = 3600.0


def _feed(h: Hysteresis, conditions: Sequence[bool], first_hour: int = 0) -> list[str | None]:
    return [h.update((first_hour + i) * H, c) for i, c in enumerate(conditions)]


def _raised_at(hour: int = 0) -> Hysteresis:
    """A default hysteresis raised by ``CONFIRM_HOURS`` qualifying hours from ``hour``."""
    h = Hysteresis()
    assert _feed(h, [True] * CONFIRM_HOURS, hour)[-1] == "raised"
    return h


def test_the_defaults_are_six_of_eight_hours_and_three_days_to_clear() -> None:
    h = Hysteresis()
    assert (h.confirm, h.window, h.clear) == (CONFIRM_HOURS, WINDOW_HOURS, CLEAR_HOURS) == (6, 8, 72)


def test_one_noisy_hour_does_not_raise() -> None:
    h = Hysteresis()
    assert _feed(h, [False] * 10 + [True] + [False] * 10) == [None] * 21
    assert not h.raised and h.first_seen is None


def test_raised_once_confirm_of_window_hours_held_and_first_seen_is_the_first_of_them() -> None:
    h = Hysteresis()
    changes = _feed(h, [False, True, True, False, True, True, False, True, True], first_hour=100)
    assert changes[:-1] == [None] * 8  # five qualifying hours of the last eight: not yet
    assert changes[-1] == "raised"  # the sixth
    assert h.raised and h.first_seen == 101 * H  # the first qualifying hour, not the deciding one


def test_confirm_consecutive_hours_raise_on_the_last_of_them() -> None:
    h = Hysteresis()
    changes = _feed(h, [True] * CONFIRM_HOURS)
    assert changes == [None] * (CONFIRM_HOURS - 1) + ["raised"]
    assert h.first_seen == 0.0


def test_qualifying_hours_that_have_left_the_window_no_longer_count() -> None:
    h = Hysteresis()
    # three, then five clear hours push them out of the eight-hour window, then three more: never six of eight
    assert _feed(h, [True] * 3 + [False] * 5 + [True] * 3 + [False] * 5 + [True] * 3) == [None] * 19
    assert not h.raised


def test_a_gap_in_the_data_pauses_the_count_rather_than_resetting_it() -> None:
    """Hours without data are not fed: they neither confirm nor clear."""
    h = Hysteresis()
    assert _feed(h, [True] * 3, first_hour=0) == [None] * 3
    assert _feed(h, [True] * 3, first_hour=50)[-1] == "raised"  # two days later, same run of evidence


def test_a_single_clear_hour_while_raised_does_not_clear() -> None:
    h = _raised_at()
    assert _feed(h, [False], first_hour=CONFIRM_HOURS) == [None]
    assert h.raised


def test_an_intermittent_condition_does_not_flap() -> None:
    h = _raised_at()
    changes = _feed(h, [False, True] * 100, first_hour=CONFIRM_HOURS)
    assert changes == [None] * 200
    assert h.raised and h.first_seen == 0.0


def test_clears_only_after_clear_consecutive_hours_without_the_condition() -> None:
    h = _raised_at()
    changes = _feed(h, [False] * CLEAR_HOURS, first_hour=CONFIRM_HOURS)
    assert changes == [None] * (CLEAR_HOURS - 1) + ["cleared"]
    assert not h.raised and h.first_seen is None


def test_one_hour_with_the_condition_restarts_the_clear_count() -> None:
    h = _raised_at()
    first = CONFIRM_HOURS
    assert _feed(h, [False] * (CLEAR_HOURS - 1) + [True], first) == [None] * CLEAR_HOURS
    assert _feed(h, [False] * (CLEAR_HOURS - 1), first + CLEAR_HOURS) == [None] * (CLEAR_HOURS - 1)
    assert h.raised
    assert _feed(h, [False], first + 2 * CLEAR_HOURS - 1) == ["cleared"]


def test_after_clearing_a_fault_must_be_confirmed_afresh() -> None:
    h = _raised_at()
    _feed(h, [False] * CLEAR_HOURS, first_hour=CONFIRM_HOURS)
    start = CONFIRM_HOURS + CLEAR_HOURS
    changes = _feed(h, [True] * CONFIRM_HOURS, first_hour=start)
    assert changes == [None] * (CONFIRM_HOURS - 1) + ["raised"]  # the hours before the clear are forgotten
    assert h.first_seen == start * H


def test_a_stricter_hysteresis_needs_its_own_confirm_count() -> None:
    """The engine's other_fault verdict: 24 of 30 hours."""
    h = Hysteresis(confirm=24, window=30)
    assert _feed(h, [True] * 23) == [None] * 23
    assert h.update(23 * H, True) == "raised"
    assert h.first_seen == 0.0


@pytest.mark.parametrize(
    "prefix",
    [
        [True, False, True, True],  # part-way to raising
        [True] * 6 + [False] * 3,  # raised, counting towards the clear
        [True] * 6 + [False] * 72 + [True, True],  # cleared, confirming afresh
    ],
    ids=["confirming", "raised", "cleared"],
)
def test_json_roundtrip_preserves_the_behaviour(prefix: list[bool]) -> None:
    for h in (Hysteresis(), Hysteresis(confirm=3, window=5, clear=4)):  # not the defaults: they must survive too
        _feed(h, prefix)
        restored = Hysteresis.from_json(json.loads(json.dumps(h.to_json())))
        assert restored == h
        rest = [False, True, True, True, True, True, True, False, False, False, False] + [False] * 80
        assert _feed(restored, rest, len(prefix)) == _feed(h, rest, len(prefix))
        assert (restored.raised, restored.first_seen) == (h.raised, h.first_seen)
