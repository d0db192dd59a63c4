"""Units, circuits and compressors: REGULATION.md (a1), (b2), (e), (n) #15."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fluorowatch.domain.equipment import (
    DEFAULT_LEGAL_CATEGORY,
    Compressor,
    Equipment,
    EquipmentKind,
    RefrigerantCircuit,
    parse_rated_output,
)
from fluorowatch.domain.inspection_rules import LegalCategory

AC = LegalCategory.AIR_CONDITIONER
REF = LegalCategory.REFRIGERATION


def _circuit(text: str, no: int = 1) -> RefrigerantCircuit:
    return RefrigerantCircuit(no, parse_rated_output(text))


def _unit(**changes: Any) -> Equipment:
    fields: dict[str, Any] = {
        "management_no": "1-1",
        "kind": EquipmentKind.PACKAGE_AC,
        "refrigerant": "R410A",
        "charge_kg": Decimal("3.8"),
        "circuits": (_circuit("4.9×2"),),
    }
    fields.update(changes)
    return Equipment(**fields)


# --- legal category -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "category"),
    [
        (EquipmentKind.SHOWCASE_REMOTE, REF),
        (EquipmentKind.SHOWCASE_BUILTIN, REF),
        (EquipmentKind.REFRIGERATOR, REF),
        (EquipmentKind.COLD_ROOM, REF),
        (EquipmentKind.CONDENSING_UNIT, REF),
        (EquipmentKind.PACKAGE_AC, AC),
        (EquipmentKind.CHILLER, AC),
        (EquipmentKind.TURBO_CHILLER, AC),
    ],
)
def test_default_legal_category_by_kind(kind: EquipmentKind, category: LegalCategory) -> None:
    """REGULATION.md (b2) ⚠ chillers, (n) #15: chillers default to air conditioner, the rest by kind."""
    assert DEFAULT_LEGAL_CATEGORY[kind] is category
    assert _unit(kind=kind).legal_category is category


def test_every_kind_has_a_default_category() -> None:
    """REGULATION.md (b2): every unit is judged by one of the two table rows."""
    assert set(DEFAULT_LEGAL_CATEGORY) == set(EquipmentKind)


def test_process_cooling_chiller_override_switches_to_refrigeration_rows() -> None:
    """REGULATION.md (b2) ⚠ chillers, (n) #15: classify by use, the user can override."""
    chiller = _unit(kind=EquipmentKind.CHILLER, circuits=(_circuit("4.9×2"),))
    assert chiller.periodic_inspection_interval_months == 36
    process = _unit(kind=EquipmentKind.CHILLER, legal_category_override=REF, circuits=(_circuit("4.9×2"),))
    assert process.legal_category is REF
    assert process.periodic_inspection_interval_months == 12


def test_override_given_as_string_is_normalised_to_enum() -> None:
    """REGULATION.md (n) #15: override values are the table's category names."""
    assert _unit(legal_category_override="refrigeration").legal_category is REF


# --- summing kW per circuit ---------------------------------------------------------------------


def test_two_compressors_on_one_circuit_are_summed() -> None:
    """REGULATION.md (b2) summing kW: compressors on the same circuit are added."""
    circuit = RefrigerantCircuit(1, (Compressor(Decimal("5")), Compressor(Decimal("5"))))
    assert circuit.rated_output_kw == Decimal("10")
    assert _unit(circuits=(circuit,)).periodic_inspection_interval_months == 36


def test_kyoto_example_4_9x2_air_conditioner_is_three_yearly() -> None:
    """REGULATION.md (b2), [004]: "4.9×2" -> 9.8 kW -> every 3 years as an air conditioner."""
    unit = _unit(kind=EquipmentKind.PACKAGE_AC, circuits=(_circuit("4.9×2"),))
    assert unit.circuits[0].rated_output_kw == Decimal("9.8")
    assert unit.periodic_inspection_interval_months == 36


def test_kyoto_example_11_8x2_refrigeration_is_yearly() -> None:
    """REGULATION.md (b2), [004]: "11.8×2" -> 23.6 kW refrigeration -> yearly."""
    unit = _unit(kind=EquipmentKind.CONDENSING_UNIT, circuits=(_circuit("11.8×2"),))
    assert unit.circuits[0].rated_output_kw == Decimal("23.6")
    assert unit.periodic_inspection_interval_months == 12


def test_separate_circuits_are_not_summed() -> None:
    """REGULATION.md (b2) interpretation: two 5 kW circuits, each < 7.5 kW -> no periodic inspection."""
    unit = _unit(circuits=(_circuit("5", 1), _circuit("5", 2)))
    assert unit.periodic_inspection_interval_months is None


def test_strictest_circuit_decides_the_interval() -> None:
    """REGULATION.md (b2): each circuit is judged on its own; the unit follows the shortest interval."""
    unit = _unit(kind=EquipmentKind.PACKAGE_AC, circuits=(_circuit("5", 1), _circuit("9", 2), _circuit("25×2", 3)))
    assert unit.periodic_inspection_interval_months == 12


@pytest.mark.parametrize(
    ("kind", "kw", "expected"),
    [
        (EquipmentKind.PACKAGE_AC, "7.4999", None),
        (EquipmentKind.PACKAGE_AC, "7.5", 36),
        (EquipmentKind.PACKAGE_AC, "49.99", 36),
        (EquipmentKind.PACKAGE_AC, "50", 12),
        (EquipmentKind.COLD_ROOM, "7.4999", None),
        (EquipmentKind.COLD_ROOM, "7.5", 12),
        (EquipmentKind.COLD_ROOM, "49.99", 12),
        (EquipmentKind.COLD_ROOM, "50", 12),
    ],
)
def test_unit_interval_follows_table_boundaries(kind: EquipmentKind, kw: str, expected: int | None) -> None:
    """REGULATION.md (b2): 7.5 kW and 50 kW are inclusive lower bounds."""
    unit = _unit(kind=kind, circuits=(RefrigerantCircuit(1, (Compressor(Decimal(kw)),)),))
    assert unit.periodic_inspection_interval_months == expected


# --- logbook retention --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposed", "kept_until"),
    [
        (date(2021, 6, 23), date(2024, 6, 23)),  # [004] R3.6.23 -> R6.6.23
        (date(2022, 2, 5), date(2025, 2, 5)),  # [004] R4.2.5 -> R7.2.5
        (date(2024, 2, 29), date(2027, 2, 28)),
    ],
)
def test_logbook_is_kept_three_years_after_disposal(disposed: date, kept_until: date) -> None:
    """REGULATION.md (e): keep the logbook until 3 years after disposal; 29 Feb -> 28 Feb."""
    unit = _unit(installed_on=date(2010, 4, 1), disposed_on=disposed)
    assert unit.is_disposed
    assert unit.logbook_retained_until == kept_until


def test_unit_in_service_has_no_retention_end() -> None:
    """REGULATION.md (e): retention runs from installation until 3 years after disposal."""
    unit = _unit(installed_on=date(2010, 4, 1))
    assert not unit.is_disposed
    assert unit.logbook_retained_until is None


def test_disposal_on_installation_day_is_allowed() -> None:
    """REGULATION.md (e): disposal may not precede installation; the same day is fine."""
    assert _unit(installed_on=date(2020, 1, 1), disposed_on=date(2020, 1, 1)).is_disposed


def test_equipment_is_immutable() -> None:
    """REGULATION.md (e1): register entries change only by creating a new record."""
    unit = _unit()
    with pytest.raises(FrozenInstanceError):
        unit.charge_kg = Decimal("1")  # type: ignore[misc]


# --- register notation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "outputs"),
    [
        ("7.5", ["7.5"]),
        ("4.9×2", ["4.9", "4.9"]),
        ("4.9x2", ["4.9", "4.9"]),
        ("4.9X2", ["4.9", "4.9"]),
        ("11.8*2", ["11.8", "11.8"]),
        ("5.5+3.7", ["5.5", "3.7"]),
        (" 4.9 × 2 + 3.7 ", ["4.9", "4.9", "3.7"]),
        ("４．９×２", ["4.9", "4.9"]),  # full-width digits
        ("15", ["15"]),
    ],
)
def test_register_notation_is_parsed_into_compressors(text: str, outputs: list[str]) -> None:
    """REGULATION.md (b2), [004]: the register writes two compressors as "4.9×2"."""
    assert parse_rated_output(text) == tuple(Compressor(Decimal(kw)) for kw in outputs)


@pytest.mark.parametrize("text", ["", "  ", "abc", "4.9×", "×2", "4.9×0", "0", "0×2", "5.5+", "-3", "1e3", "4,9"])
def test_bad_register_notation_names_the_text(text: str) -> None:
    """REGULATION.md (b2): unreadable rated outputs are rejected, quoting the input."""
    with pytest.raises(ValueError, match="rated output") as caught:
        parse_rated_output(text)
    assert repr(text) in str(caught.value)


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [Decimal("0"), Decimal("-1"), Decimal("NaN"), Decimal("Infinity"), 5.0])
def test_compressor_needs_positive_decimal_rated_output(kw: Any) -> None:
    """REGULATION.md (b2): kW is the motor's nameplate rated output, > 0."""
    with pytest.raises(ValueError, match="rated_output_kw"):
        Compressor(kw)


@pytest.mark.parametrize("no", [0, -1, True, "1"])
def test_circuit_number_must_be_a_positive_integer(no: Any) -> None:
    """REGULATION.md (b2): circuits are numbered from 1."""
    with pytest.raises(ValueError, match="circuit_no"):
        RefrigerantCircuit(no, (Compressor(Decimal("1")),))


def test_circuit_needs_at_least_one_compressor() -> None:
    """REGULATION.md (b2): a circuit's kW is the sum of its compressors."""
    with pytest.raises(ValueError, match="compressors"):
        RefrigerantCircuit(1, ())


def test_circuit_rejects_items_that_are_not_compressors() -> None:
    """REGULATION.md (b2): only compressors carry a rated output."""
    with pytest.raises(ValueError, match="compressors"):
        RefrigerantCircuit(1, (Decimal("5"),))  # type: ignore[arg-type]


def test_circuit_accepts_a_list_and_stores_a_tuple() -> None:
    """REGULATION.md (b2): circuits are immutable values."""
    circuit = RefrigerantCircuit(1, [Compressor(Decimal("1"))])  # type: ignore[arg-type]
    assert circuit.compressors == (Compressor(Decimal("1")),)


@pytest.mark.parametrize("charge", [Decimal("0"), Decimal("-0.1")])
def test_circuit_charge_must_be_positive_when_given(charge: Decimal) -> None:
    """REGULATION.md (e1) item 3: the amount of refrigerant is a positive mass."""
    with pytest.raises(ValueError, match="charge_kg"):
        RefrigerantCircuit(1, (Compressor(Decimal("1")),), charge_kg=charge)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"management_no": ""}, "management_no"),
        ({"management_no": "   "}, "management_no"),
        ({"kind": "vending_machine"}, "kind"),
        ({"refrigerant": ""}, "refrigerant"),
        ({"charge_kg": Decimal("0")}, "charge_kg"),
        ({"charge_kg": Decimal("-1")}, "charge_kg"),
        ({"charge_kg": 3.8}, "charge_kg"),
        ({"circuits": ()}, "circuits"),
        ({"circuits": ("4.9×2",)}, "circuits"),
        ({"circuits": (_circuit("5", 1), _circuit("5", 1))}, "circuits"),
        ({"installed_on": date(2020, 1, 2), "disposed_on": date(2020, 1, 1)}, "disposed_on"),
        ({"legal_category_override": "heat_pump"}, "legal_category_override"),
    ],
)
def test_invalid_equipment_is_rejected_naming_the_field(changes: dict[str, Any], field: str) -> None:
    """REGULATION.md (a1), (e1): the register holds identifiable units with refrigerant kind and amount."""
    with pytest.raises(ValueError, match=field):
        _unit(**changes)


def test_kind_given_as_string_is_normalised_to_enum() -> None:
    """REGULATION.md (a1): the kind decides the default legal category."""
    assert _unit(kind="cold_room").kind is EquipmentKind.COLD_ROOM
