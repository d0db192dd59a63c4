"""Tests for fluorowatch.domain.refrigerants against REGULATION.md (a1), (g1), (g7), (m2) and (n)."""

from __future__ import annotations

import csv
import dataclasses
import re
from decimal import Decimal
from importlib.resources import files

import pytest

from fluorowatch.domain.refrigerants import (
    SOURCE_BLEND_RULE,
    SOURCE_CUSTOM,
    SOURCE_TABLE1,
    SOURCE_TABLE2,
    Family,
    OutsideTheAct,
    Refrigerant,
    RefrigerantRegistry,
    UnknownRefrigerant,
    family_table,
    normalise_refrigerant_name,
)


def _data_rows(filename: str) -> list[dict[str, str]]:
    text = (files("fluorowatch.domain") / "data" / filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


GWP_ROWS = _data_rows("gwp.csv")
COMPOSITION_BLENDS = sorted({row["refrigerant"] for row in _data_rows("blend_compositions.csv")})


@pytest.fixture(scope="module")
def registry() -> RefrigerantRegistry:
    return RefrigerantRegistry.default()


# --- name normalisation, REGULATION (g7) "Refrigerant-name normalisation" -------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("R-404A", "R404A"),
        ("R404A", "R404A"),
        ("HFC-404A", "R404A"),
        ("HFC404A", "R404A"),
        ("R 404A", "R404A"),
        ("r404a", "R404A"),
        ("  R-404A  ", "R404A"),
        ("404A", "R404A"),
        ("HCFC-22", "R22"),
        ("CFC-12", "R12"),
        ("HFC-410a", "R410A"),
        ("R-134a", "R134a"),
        ("HFC-134a", "R134a"),
        ("R134A", "R134a"),
        ("R-141b", "R141b"),
        ("HCFC-141B", "R141b"),
        ("R-227EA", "R227ea"),
        ("R744", "R744"),
        ("R 500", "R500"),
        ("r-1234ze(e)", "R1234ze(E)"),
        ("HFO-1234YF", "R1234yf"),
        ("HC-290", "R290"),
        ("R-1336mzz(z)", "R1336mzz(Z)"),
        ("r13i1", "R13I1"),
    ],
)
def test_normalise_accepts_every_spelling_the_regulation_lists(raw: str, expected: str) -> None:
    """(g7): drop prefix, '-' and spaces; blends upper-case suffix, singles lower-case, isomer (E)/(Z)."""
    assert normalise_refrigerant_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "freon", "R-", "HFC", "404", "R404AB", "R1234ze(X)"])
def test_normalise_rejects_garbage_naming_the_input(raw: str) -> None:
    """(g7): reject unknown names with a clear error; a 400-series number without its letter is not a name."""
    with pytest.raises(UnknownRefrigerant, match=re.escape(repr(raw))):
        normalise_refrigerant_name(raw)


def test_unknown_refrigerant_is_a_value_error() -> None:
    """(g7): callers that catch ValueError also catch a bad refrigerant name."""
    assert issubclass(UnknownRefrigerant, ValueError)


def test_get_unknown_blend_says_to_give_its_composition(registry: RefrigerantRegistry) -> None:
    """(g7): an unlisted blend needs its composition for the blend rule; never a silent GWP of 0."""
    with pytest.raises(UnknownRefrigerant, match=r"'R-448B'.*give its composition to apply the blend rule"):
        registry.get("R-448B")


def test_get_unknown_single_names_the_input(registry: RefrigerantRegistry) -> None:
    """(g7): reject unknown names with a clear error."""
    with pytest.raises(UnknownRefrigerant, match="R9999"):
        registry.get("R9999")


# --- notice values, REGULATION (g7) --------------------------------------------------------------------


@pytest.mark.parametrize("row", GWP_ROWS, ids=[row["refrigerant"] for row in GWP_ROWS])
def test_every_notice_row_is_reachable_through_get(registry: RefrigerantRegistry, row: dict[str, str]) -> None:
    """(g7): every gwp.csv value is served as printed, under its canonical and a hyphenated lower-case name."""
    name = row["refrigerant"]
    expected_source = SOURCE_TABLE1 if row["source_table"] == "table1" else SOURCE_TABLE2
    for spelling in (name, "r-" + name[1:].lower()):
        refrigerant = registry.get(spelling)
        assert refrigerant.name == name
        assert refrigerant.gwp == int(row["gwp"])
        assert refrigerant.source == expected_source
        assert refrigerant.composition == ()
        assert refrigerant.in_scope


def test_gwp_matches_worked_examples(registry: RefrigerantRegistry) -> None:
    """(g1) worked examples: R404A 200 kg -> 784 t-CO2, R410A 200 kg -> 418, R22 200 kg -> 362."""
    assert 200 * registry.gwp("R-404A") / 1000 == 784
    assert 200 * registry.gwp("HFC-410a") / 1000 == 418
    assert 200 * registry.gwp("HCFC-22") / 1000 == 362


def test_r141b_is_the_listed_substance_not_the_typo(registry: RefrigerantRegistry) -> None:
    """(n) #1: [001] prints R141a; the listed substance is R141b = 725."""
    assert registry.gwp("HCFC-141b") == 725
    with pytest.raises(UnknownRefrigerant):
        registry.get("R141a")


# --- blend rule for unlisted blends, REGULATION (g7) ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("R448A", 1386),  # 0.26*675 + 0.26*3500 + 0.21*1430 = 175.5 + 910 + 300.3 = 1385.8
        ("R449A", 1396),  # 0.243*675 + 0.247*3500 + 0.257*1430 = 164.025 + 864.5 + 367.51 = 1396.035
        ("R449B", 1411),  # 0.252*675 + 0.243*3500 + 0.273*1430 = 170.1 + 850.5 + 390.39 = 1410.99
        ("R452A", 2139),  # 0.11*675 + 0.59*3500 = 74.25 + 2065 = 2139.25
        ("R452B", 697),  # 0.67*675 + 0.07*3500 = 452.25 + 245 = 697.25
        ("R454A", 236),  # 0.35*675 = 236.25
        ("R454B", 465),  # 0.689*675 = 465.075
        ("R454C", 145),  # 0.215*675 = 145.125
        ("R455A", 145),  # 0.215*675 = 145.125 (R744 and R1234yf not in table 1)
        ("R463A", 1493),  # 0.36*675 + 0.30*3500 + 0.14*1430 = 243 + 1050 + 200.2 = 1493.2
        ("R513A", 629),  # 0.44*1430 = 629.2
        ("R407H", 1495),  # 0.325*675 + 0.15*3500 + 0.525*1430 = 219.375 + 525 + 750.75 = 1495.125
        ("R450A", 601),  # 0.42*1430 = 600.6
        ("R515B", 287),  # 0.089*3220 = 286.58
        ("R466A", 733),  # 0.49*675 + 0.115*3500 = 330.75 + 402.5 = 733.25 (R13I1 not in table 1)
    ],
)
def test_unlisted_blend_gwp_follows_the_blend_rule(registry: RefrigerantRegistry, name: str, expected: int) -> None:
    """(g7) table 2 last row: sum of mass fraction x table-1 GWP, non-table-1 components 0, half up."""
    refrigerant = registry.get(name)
    assert refrigerant.gwp == expected
    assert registry.gwp(name) == expected
    assert refrigerant.source == SOURCE_BLEND_RULE
    assert sum(pct for _, pct in refrigerant.composition) == 100


def test_composition_table_covers_every_blend_the_brief_asks_for() -> None:
    """(g7): the blends in today's equipment that the 2016 notice does not list have a composition."""
    wanted = {"R448A", "R449A", "R449B", "R452A", "R452B", "R454A", "R454B", "R454C", "R455A"}
    assert wanted | {"R463A", "R513A", "R407H"} <= set(COMPOSITION_BLENDS)
    assert not set(COMPOSITION_BLENDS) & {row["refrigerant"] for row in GWP_ROWS}


def test_blend_gwp_rounds_half_up_not_to_even(registry: RefrigerantRegistry) -> None:
    """(g7) ⚠: 1未満を四捨五入 — 0.30*675 = 202.5 must give 203; banker's rounding would give 202."""
    assert round(202.5) == 202  # the trap the regulation warns about
    assert registry.blend_gwp({"R32": 30, "R1234yf": 70}) == 203
    assert registry.blend_gwp({"R134a": Decimal("35"), "R1234ze(E)": Decimal("65")}) == 501  # 0.35*1430 = 500.5


def test_blend_gwp_is_exact_for_float_fractions(registry: RefrigerantRegistry) -> None:
    """(g7): floats are read by their decimal text, so 0.1-style binary error cannot move a .5 boundary."""
    assert registry.blend_gwp({"R32": 30.0, "R1234yf": 70.0}) == 203  # 202.5 exactly


def test_blend_component_not_in_table_1_counts_zero(registry: RefrigerantRegistry) -> None:
    """(g7): a component not in notice table 1 (HFO, PFC, CO2, or not known at all) counts as 0."""
    assert registry.blend_gwp({"R32": 50, "R1234yf": 50}) == 338  # 0.5*675 = 337.5
    assert registry.blend_gwp({"HCFC-22": 80, "R218": 20}) == 1448  # 0.8*1810
    assert registry.blend_gwp({"R32": 60, "R1132a": 40}) == 405  # 0.6*675; R1132a is in no table


@pytest.mark.parametrize(
    "composition",
    [
        {"R32": 50, "R125": 49.98},
        {"R32": 50, "R125": 50.02},
        {},
        {"R32": 110, "R125": -10},
        {"R32": 100, "R125": 0},
        {"R32": float("nan"), "R125": 50},
        {"R32": 50, "HFC-32": 50},
    ],
)
def test_blend_gwp_rejects_fractions_that_do_not_make_100(
    registry: RefrigerantRegistry, composition: dict[str, float]
) -> None:
    """(g7): mass fractions must be positive, name each component once, and sum to 100 % within 0.01."""
    with pytest.raises(ValueError):
        registry.blend_gwp(composition)


def test_blend_gwp_accepts_a_sum_within_tolerance(registry: RefrigerantRegistry) -> None:
    """(g7): fractions summing to 100 within 0.01 (printed rounding) are accepted."""
    assert registry.blend_gwp({"R32": Decimal("50.005"), "R125": 50}) == 2088  # 337.53375 + 1750


def test_blend_gwp_rejects_a_blend_as_component(registry: RefrigerantRegistry) -> None:
    """(g7): a notice blend is not in table 1; counting it 0 would hide its GWP, so it is refused."""
    with pytest.raises(ValueError, match="itself a blend"):
        registry.blend_gwp({"R404A": 50, "R134a": 50})


def test_blend_gwp_rejects_garbage_component(registry: RefrigerantRegistry) -> None:
    """(g7): components are normalised like any name; garbage is not silently counted as 0."""
    with pytest.raises(UnknownRefrigerant, match="freon"):
        registry.blend_gwp({"freon": 50, "R32": 50})


# --- scope and families, REGULATION (a1) and (m2) ------------------------------------------------------


@pytest.mark.parametrize("name", ["R744", "R717", "R290", "R600a", "R1234yf", "HFO-1234ze(E)", "R718"])
def test_natural_hc_and_hfo_refrigerants_are_outside_the_act(registry: RefrigerantRegistry, name: str) -> None:
    """(a1) excluded: CO2, ammonia, water, hydrocarbons and HFOs are not fluorocarbons under the Act."""
    refrigerant = registry.get(name)
    assert not refrigerant.in_scope
    assert refrigerant.gwp is None


def test_gwp_of_co2_raises_outside_the_act(registry: RefrigerantRegistry) -> None:
    """(a1), (g7): R744 has no notice GWP; report that instead of returning 0."""
    with pytest.raises(OutsideTheAct, match="R744"):
        registry.gwp("R744")
    assert issubclass(OutsideTheAct, ValueError)


@pytest.mark.parametrize(
    ("name", "family"),
    [("R22", Family.HCFC), ("R404A", Family.HFC), ("R500", Family.CFC), ("R502", Family.CFC), ("R12", Family.CFC)],
)
def test_fluorocarbons_are_in_scope_with_their_family(registry: RefrigerantRegistry, name: str, family: Family) -> None:
    """(a1): CFC, HCFC and HFC are in scope; (m2): R500 (R12) and R502 (R115) are CFC blends."""
    refrigerant = registry.get(name)
    assert refrigerant.family is family
    assert refrigerant.in_scope


def test_kyoto_examples_have_the_families_m2_gives(registry: RefrigerantRegistry) -> None:
    """(m2) table: listed HFC, HCFC and CFC examples."""
    hfc = ["R23", "R32", "R125", "R134a", "R245fa", "R404A", "R407A", "R407C", "R407D", "R407E", "R410A"]
    hfc += ["R410B", "R417A", "R422A", "R507A", "R508A", "R508B"]
    hcfc = ["R123", "R22", "R141b", "R401A", "R402A", "R409B", "R412A", "R509A"]
    assert {registry.get(n).family for n in hfc} == {Family.HFC}
    assert {registry.get(n).family for n in hcfc} == {Family.HCFC}
    assert {registry.get(n).family for n in ["R11", "R12", "R114", "R502"]} == {Family.CFC}


def test_hfc_plus_hfo_blend_is_hfc_and_in_scope(registry: RefrigerantRegistry) -> None:
    """(m2): HFC + non-fluorocarbon (e.g. HFO) is treated as HFC, in scope."""
    assert registry.blend_family({"R32": 40, "R1234yf": 60}) is Family.HFC
    for name in COMPOSITION_BLENDS:
        assert registry.get(name).family is Family.HFC
        assert registry.get(name).in_scope


def test_blend_family_prefers_cfc_then_hcfc(registry: RefrigerantRegistry) -> None:
    """(m2): any CFC component -> CFC; HCFC + HFC -> HCFC."""
    assert registry.blend_family({"R12": 10, "R22": 45, "R134a": 45}) is Family.CFC
    assert registry.blend_family({"R22": 50, "R134a": 50}) is Family.HCFC


def test_blend_family_needs_known_components(registry: RefrigerantRegistry) -> None:
    """(m2): a component of unknown family could be a CFC, so the blend cannot be classified."""
    with pytest.raises(UnknownRefrigerant, match="R1132a"):
        registry.blend_family({"R32": 60, "R1132a": 40})


@pytest.mark.parametrize("name", COMPOSITION_BLENDS)
def test_family_from_composition_agrees_with_the_family_csv(registry: RefrigerantRegistry, name: str) -> None:
    """(m2): the family derived from an ASHRAE composition equals the family listed in the csv."""
    refrigerant = registry.get(name)
    assert refrigerant.composition
    assert registry.blend_family(dict(refrigerant.composition)) is family_table()[name]
    assert refrigerant.family is family_table()[name]


_TABLE2 = {row["refrigerant"] for row in GWP_ROWS if row["kind"] == "blend"}
NOTICE_BLENDS = [row for row in _data_rows("refrigerant_families.csv") if row["refrigerant"] in _TABLE2]


@pytest.mark.parametrize("row", NOTICE_BLENDS, ids=[row["refrigerant"] for row in NOTICE_BLENDS])
def test_notice_blend_family_agrees_with_its_composition_note(
    registry: RefrigerantRegistry, row: dict[str, str]
) -> None:
    """(m2), (g7): each notice blend's note gives its ASHRAE composition ("A/B x/y"); the (m2) family of
    that composition equals the listed family, and the blend rule reproduces the notice GWP to its
    printed precision (3 significant figures)."""
    components, fractions = row["note"].split(" ")
    percents = [Decimal(pct) for pct in fractions.split("/")]
    composition = dict(zip(components.split("/"), percents, strict=True))
    assert registry.blend_family(composition) is Family(row["family"])
    notice = registry.gwp(row["refrigerant"])
    assert abs(registry.blend_gwp(composition) - notice) <= (5 if notice >= 1000 else 0)


def test_every_family_csv_row_is_reachable_and_every_notice_row_has_a_family(
    registry: RefrigerantRegistry,
) -> None:
    """(a1), (g7): every listed name resolves; every notice row has a family."""
    assert {row["refrigerant"] for row in GWP_ROWS} <= set(family_table())
    for name, family in family_table().items():
        assert registry.get(name).family is family
    assert sorted(registry.names()) == sorted(family_table())


# --- registry immutability and custom blends -----------------------------------------------------------


def test_default_registry_is_cached() -> None:
    """The shipped registry is loaded once and shared (safe because it is immutable)."""
    assert RefrigerantRegistry.default() is RefrigerantRegistry.default()


def test_registry_and_refrigerants_are_immutable(registry: RefrigerantRegistry) -> None:
    """The registry cannot be changed in place: attributes, the mapping and names() copies are safe."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry._entries = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        registry._entries["R404A"] = registry.get("R22")  # type: ignore[index]
    names = registry.names()
    names.clear()
    assert "R404A" in registry.names()
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.get("R404A").gwp = 0  # type: ignore[misc]


def test_with_blend_returns_a_new_registry_and_leaves_the_original(registry: RefrigerantRegistry) -> None:
    """(g7), (m2): a user-given composition gets the blend-rule GWP and (m2) family in a new registry."""
    extended = registry.with_blend("R-499x", {"HFC-32": 40, "HFO-1234yf": 60})
    assert extended.get("R499X") == Refrigerant(
        "R499X",
        Family.HFC,
        270,  # 0.4*675
        SOURCE_CUSTOM,
        (("R32", Decimal(40)), ("R1234yf", Decimal(60))),
    )
    assert extended.gwp("r499x") == 270
    with pytest.raises(UnknownRefrigerant, match="give its composition"):
        registry.get("R499X")


def test_with_blend_outside_the_act_has_no_gwp(registry: RefrigerantRegistry) -> None:
    """(a1), (m2): a blend with no fluorocarbon component is outside the Act (family order is ours)."""
    extended = registry.with_blend("R499Y", {"R744": 50, "R1234yf": 50})
    assert extended.get("R499Y").family is Family.HFO
    with pytest.raises(OutsideTheAct):
        extended.gwp("R499Y")


def test_with_blend_cannot_override_a_notice_value(registry: RefrigerantRegistry) -> None:
    """(g7): notice values come from the notice; a custom blend cannot replace them."""
    with pytest.raises(ValueError, match="already registered"):
        registry.with_blend("HFC-404A", {"R125": 44, "R143a": 52, "R134a": 4})
