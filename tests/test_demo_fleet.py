"""The demo's sample retailer is a believable fleet that the register and the law accept."""

from __future__ import annotations

from fluorowatch.demo_fleet import sample_retailer
from fluorowatch.domain.equipment import EquipmentKind
from fluorowatch.domain.refrigerants import RefrigerantRegistry


def test_the_sample_retailer_has_stores_in_several_prefectures_forty_showcases_and_two_chillers() -> None:
    retailer = sample_retailer()
    kinds = [u.equipment.kind for s in retailer.sites for u in s.units]
    showcases = [k for k in kinds if k in {EquipmentKind.SHOWCASE_REMOTE, EquipmentKind.SHOWCASE_BUILTIN}]
    assert len({s.site.prefecture_code for s in retailer.sites}) >= 3
    assert len(showcases) == 40
    assert kinds.count(EquipmentKind.CHILLER) == 2


def test_every_sample_refrigerant_is_a_known_fluorocarbon_in_scope_of_the_act() -> None:
    """REGULATION.md (a1): only CFC/HCFC/HFC units are Class-1 specified products."""
    registry = RefrigerantRegistry.default()
    for site in sample_retailer().sites:
        for unit in site.units:
            assert registry.get(unit.equipment.refrigerant).in_scope


def test_the_sample_is_the_same_for_the_same_seed() -> None:
    assert sample_retailer(3) == sample_retailer(3)
    assert sample_retailer(3) != sample_retailer(4)


def test_the_chillers_are_judged_per_circuit_for_their_periodic_inspection() -> None:
    """REGULATION.md (b2): two 22 kW compressors on one circuit sum to 44 kW: air conditioner, every 3 years."""
    chillers = [u.equipment for s in sample_retailer().sites for u in s.units if u.equipment.kind == "chiller"]
    assert {c.periodic_inspection_interval_months for c in chillers} == {36}
