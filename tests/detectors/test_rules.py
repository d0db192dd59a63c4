"""The indirect-method checklist judged for one hour (detectors/rules.py; REGULATION.md (c), indirect_checks.csv).

Every judged row is a finding when its smoothed departure is beyond ``Z_FINDING`` in the row's leak direction
(rows a-j, column "leak suspicion when"), and the cause in its "must rule out first" column is examined before
the finding counts as leak-like (checklist note 3: a row passes when the change is shown to come from that cause).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from detectors.checklist import ChecklistItem, Direction, checklist
from detectors.rules import (
    Z_CLEARLY,
    Z_FINDING,
    Examination,
    Explanation,
    Finding,
    HourContext,
    control_change,
    examinations,
    judge,
)

CONTROL, BLOCKAGE = Explanation.CONTROL_CHANGE, Explanation.BLOCKAGE
SMALL_LOAD, LARGE_LOAD = Explanation.SMALL_LOAD, Explanation.LARGE_LOAD
# The "must rule out first" column of REGULATION.md (c), row by row (written out here, not read from the CSV).
RULE_OUT: dict[str, Explanation | None] = {
    "suction_pressure": CONTROL,  # a ①
    "discharge_pressure": CONTROL,  # a ②
    "discharge_gas_temperature": BLOCKAGE,  # b
    "compressor_motor_voltage": CONTROL,  # c ⑨
    "compressor_motor_current": CONTROL,  # c ⑩
    "superheat": BLOCKAGE,  # d ④
    "subcooling": None,  # e ⑤: nothing listed
    "compressor_overheat": BLOCKAGE,  # f ⑥
    "air_temperature_difference": SMALL_LOAD,  # g ⑦ (1st version; the 2nd says "large", see (c) and (n))
    "chilled_water_temperature_difference": SMALL_LOAD,  # g ⑧ (1st version; high water flow has no channel)
    "pipe_vibration": CONTROL,  # h ⑪
    "sight_glass_bubbles": LARGE_LOAD,  # i ⑫
    "refrigerant_liquid_level": None,  # j ⑬: nothing listed
    "purge_count": None,  # j ⑬ (interpretation, see (c)): nothing listed
}
ROWS = checklist()


def _rows(explanation: Explanation | None) -> list[ChecklistItem]:
    return [item for item in ROWS if RULE_OUT[item.key] is explanation]


def _ctx(**changes: Any) -> HourContext:
    """An ordinary hour: setpoint inside the learned range, unchanged, no defrost, usual duty, no departures."""
    ctx = HourContext(setpoint_c=3.0, learned_setpoints=(2.0, 4.0), setpoint_changed_within_day=False,
                      defrost_share=0.0, z={}, duty=0.5, learned_duty=0.5)  # fmt: skip
    return replace(ctx, **changes)


def _leak_z(item: ChecklistItem, size: float = Z_FINDING + 0.5) -> float:
    """A departure of ``size`` spreads in the row's leak direction."""
    return -size if item.direction is Direction.LOW else size


def _finding(item: ChecklistItem, ctx: HourContext) -> Finding:
    finding = judge(item, 1.0, 2.0, _leak_z(item), ctx)
    assert finding is not None
    return finding


def _examined(finding: Finding, explanation: Explanation) -> Examination:
    return next(e for e in finding.examined if e.explanation is explanation)


def _ids(items: list[ChecklistItem]) -> list[str]:
    return [item.key for item in items]


def test_every_judged_row_has_its_rule_out_here() -> None:
    assert [item.key for item in ROWS] == list(RULE_OUT)


# --- the leak direction of each row -------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ROWS, ids=_ids(list(ROWS)))
def test_a_departure_beyond_z_finding_in_the_leak_direction_is_a_finding(item: ChecklistItem) -> None:
    ctx = _ctx()
    finding = judge(item, 7.0, 9.0, _leak_z(item), ctx)
    assert finding is not None
    assert finding.item is item
    assert (finding.observed, finding.expected, finding.z) == (7.0, 9.0, _leak_z(item))
    assert finding.leak_like  # nothing to explain it in an ordinary hour
    exactly = judge(item, 7.0, 9.0, _leak_z(item, Z_FINDING), ctx)
    assert exactly is not None  # the threshold itself counts


@pytest.mark.parametrize("item", ROWS, ids=_ids(list(ROWS)))
def test_the_same_departure_in_the_other_direction_is_no_finding(item: ChecklistItem) -> None:
    ctx = _ctx()
    assert judge(item, 7.0, 9.0, -_leak_z(item), ctx) is None
    assert judge(item, 7.0, 9.0, -_leak_z(item, 50.0), ctx) is None


@pytest.mark.parametrize("item", ROWS, ids=_ids(list(ROWS)))
def test_a_departure_inside_z_finding_is_no_finding(item: ChecklistItem) -> None:
    ctx = _ctx()
    assert judge(item, 7.0, 9.0, _leak_z(item, Z_FINDING - 0.1), ctx) is None
    assert judge(item, 7.0, 9.0, 0.0, ctx) is None


@pytest.mark.parametrize("item", ROWS, ids=_ids(list(ROWS)))
def test_an_unknown_departure_is_no_finding(item: ChecklistItem) -> None:
    """A NaN departure (value not measured this hour) is not in any direction."""
    assert judge(item, math.nan, 9.0, math.nan, _ctx()) is None


# --- what each row examines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ROWS, ids=_ids(list(ROWS)))
def test_each_row_examines_its_own_rule_out_then_defrost(item: ChecklistItem) -> None:
    own = RULE_OUT[item.key]
    names = [e.explanation for e in examinations(item, _ctx())]
    assert names == ([own] if own is not None else []) + [Explanation.DEFROST]


@pytest.mark.parametrize("item", _rows(None), ids=_ids(_rows(None)))
def test_rows_with_nothing_to_rule_out_cannot_be_explained_away(item: ChecklistItem) -> None:
    """Rows e and j: every other explanation would hold in this hour, and none is examined."""
    ctx = _ctx(setpoint_c=-20.0, setpoint_changed_within_day=True, duty=0.0, defrost_share=0.5,
               z={"superheat_k": 8.0, "cabinet_excess_k": 8.0})  # fmt: skip
    finding = _finding(item, ctx)
    assert [e.explanation for e in finding.examined] == [Explanation.DEFROST]
    assert finding.leak_like


def test_defrost_is_reported_but_never_excuses_a_finding() -> None:
    """Defrost is masked from the stable-run values before judging, so it cannot explain what is left."""
    item = _rows(None)[0]
    finding = Finding(item, 1.0, 2.0, -5.0, (Examination(Explanation.DEFROST, True, "all of the hour"),))
    assert finding.leak_like
    examined = _finding(item, _ctx(defrost_share=0.25)).examined[-1]
    assert examined.explanation is Explanation.DEFROST and not examined.holds and "25%" in examined.detail


# --- control change (制御による変化): rows a, c, h -------------------------------------------------------------------

CONTROL_CASES = {
    "setpoint above the learned range": (dict(setpoint_c=6.0), True),
    "setpoint below the learned range": (dict(setpoint_c=-1.0), True),
    "setpoint at the range's edge": (dict(setpoint_c=4.0), False),
    "setpoint within half a kelvin of the range": (dict(setpoint_c=4.4), False),
    "setpoint changed within the last day": (dict(setpoint_changed_within_day=True), True),
    "setpoint steady inside the range": ({}, False),
}


@pytest.mark.parametrize("item", _rows(CONTROL), ids=_ids(_rows(CONTROL)))
@pytest.mark.parametrize(("changes", "holds"), list(CONTROL_CASES.values()), ids=list(CONTROL_CASES))
def test_a_control_change_explains_rows_a_c_and_h(item: ChecklistItem, changes: dict[str, Any], holds: bool) -> None:
    finding = _finding(item, _ctx(**changes))
    examined = _examined(finding, CONTROL)
    assert examined.holds is holds
    assert finding.leak_like is not holds
    assert "learned 2.0..4.0 °C" in examined.detail


def test_the_control_change_detail_says_when_the_setpoint_was_changed() -> None:
    assert "changed within the last day" in control_change(_ctx(setpoint_changed_within_day=True)).detail
    assert "changed" not in control_change(_ctx()).detail


# --- blockage or expansion-valve failure (冷媒系統のつまり・膨張弁の故障): rows b, d, f ------------------------------

BLOCKAGE_CASES = {
    "superheat high, liquid all there": ({"superheat_k": 4.0, "subcooling_k": 0.0, "receiver_level_pct": 0.0}, True),
    "superheat high, no receiver": ({"superheat_k": 4.0, "subcooling_k": 0.5, "receiver_level_pct": math.nan}, True),
    "superheat high, subcooling low": ({"superheat_k": 4.0, "subcooling_k": -Z_CLEARLY}, False),
    "superheat high, subcooling clearly low": ({"superheat_k": 6.0, "subcooling_k": -5.0}, False),
    "superheat high, receiver low": ({"superheat_k": 4.0, "subcooling_k": 0.0, "receiver_level_pct": -3.0}, False),
    "superheat not high": ({"superheat_k": Z_FINDING - 0.5, "subcooling_k": 0.0}, False),
    "superheat unknown": ({}, False),
}


@pytest.mark.parametrize("item", _rows(BLOCKAGE), ids=_ids(_rows(BLOCKAGE)))
@pytest.mark.parametrize(("z", "holds"), list(BLOCKAGE_CASES.values()), ids=list(BLOCKAGE_CASES))
def test_a_blockage_explains_rows_b_d_and_f_only_while_the_liquid_is_there(
    item: ChecklistItem, z: dict[str, float], holds: bool
) -> None:
    """Refrigerant held back (superheat high, subcooling and receiver level not low) is not refrigerant lost."""
    finding = _finding(item, _ctx(z=z))
    examined = _examined(finding, BLOCKAGE)
    assert examined.holds is holds
    assert finding.leak_like is not holds
    assert "superheat" in examined.detail and "subcooling" in examined.detail and "receiver level" in examined.detail


# --- extremely small heat load (熱負荷が極端に小さい): rows g -------------------------------------------------------

SMALL_LOAD_CASES = {
    "runs far less than usual": (dict(duty=0.1, learned_duty=0.5), True),
    "runs somewhat less than usual": (dict(duty=0.2, learned_duty=0.5), False),
    "cabinet colder than usual": (dict(z={"cabinet_excess_k": -Z_FINDING}), True),
    "cabinet warmer than usual": (dict(z={"cabinet_excess_k": 5.0}), False),
    "usual duty, usual cabinet": ({}, False),
    "no learned duty": (dict(duty=0.0, learned_duty=0.0), False),
}


@pytest.mark.parametrize("item", _rows(SMALL_LOAD), ids=_ids(_rows(SMALL_LOAD)))
@pytest.mark.parametrize(("changes", "holds"), list(SMALL_LOAD_CASES.values()), ids=list(SMALL_LOAD_CASES))
def test_an_extremely_small_heat_load_explains_a_small_temperature_difference(
    item: ChecklistItem, changes: dict[str, Any], holds: bool
) -> None:
    """Rows g: the first version of the sheet (small load) is applied; a warm cabinet (large load) does not
    explain a small ΔT (REGULATION.md (c), ⚠ rows g)."""
    finding = _finding(item, _ctx(**changes))
    examined = _examined(finding, SMALL_LOAD)
    assert examined.holds is holds
    assert finding.leak_like is not holds
    assert "duty" in examined.detail and "cabinet" in examined.detail
    assert all(e.explanation is not LARGE_LOAD for e in finding.examined)


# --- extremely large heat load (熱負荷が極端に大きい): row i --------------------------------------------------------

LARGE_LOAD_CASES = {
    "cabinet well above usual, liquid there": ({"cabinet_excess_k": Z_FINDING, "subcooling_k": 0.0}, True),
    "cabinet well above usual, subcooling unknown": ({"cabinet_excess_k": 4.0}, True),
    "cabinet well above usual, subcooling low": ({"cabinet_excess_k": 4.0, "subcooling_k": -Z_CLEARLY}, False),
    "cabinet a little above usual": ({"cabinet_excess_k": 2.0, "subcooling_k": 0.0}, False),
    "cabinet colder than usual": ({"cabinet_excess_k": -4.0, "subcooling_k": 0.0}, False),
}


@pytest.mark.parametrize("item", _rows(LARGE_LOAD), ids=_ids(_rows(LARGE_LOAD)))
@pytest.mark.parametrize(("z", "holds"), list(LARGE_LOAD_CASES.values()), ids=list(LARGE_LOAD_CASES))
def test_an_extremely_large_heat_load_explains_bubbles_only_with_plenty_of_liquid(
    item: ChecklistItem, z: dict[str, float], holds: bool
) -> None:
    """Row i: a flash of bubbles under a large load is normal; bubbles with low subcooling are a short charge."""
    finding = _finding(item, _ctx(z=z))
    examined = _examined(finding, LARGE_LOAD)
    assert examined.holds is holds
    assert finding.leak_like is not holds
    assert "cabinet" in examined.detail and "subcooling" in examined.detail


# --- the finding as evidence ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ROWS, ids=_ids(list(ROWS)))
def test_describe_names_the_item_observed_expected_and_each_examined_explanation(item: ChecklistItem) -> None:
    ctx = _ctx(setpoint_c=8.0, z={"superheat_k": 5.0, "cabinet_excess_k": 4.0}, duty=0.05)
    finding = judge(item, 12.345, 10.0, _leak_z(item, 4.25), ctx)
    assert finding is not None
    text = finding.describe()
    assert item.japanese_name in text and f"({item.key})" in text and str(item.direction) in text
    assert "observed 12.3" in text and "expected 10" in text
    assert f"{_leak_z(item, 4.25):+.1f} σ" in text
    for examined in finding.examined:
        assert f"{examined.explanation}: {'yes' if examined.holds else 'no'} ({examined.detail})" in text
    assert len(finding.examined) == (2 if RULE_OUT[item.key] is not None else 1)
