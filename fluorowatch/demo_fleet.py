"""The demo's sample retailer: a supermarket chain with stores in four prefectures (pure data, seeded)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fluorowatch.domain.equipment import Compressor, Equipment, EquipmentKind, RefrigerantCircuit
from fluorowatch.domain.organisation import Contractor, ManagerAssignment, ManagerReason, OrgPath, Site

COMPANY = "Sakura Mart Co., Ltd."
_STORES = (
    # site_code, name, prefecture (JIS X 0401), address, org path below the company
    ("SM-TKY-001", "Sakura Mart Setagaya", "13", "Tokyo, Setagaya-ku Kyodo 1-2-3", "Kanto/Tokyo Branch"),
    (
        "SM-KNG-002",
        "Sakura Mart Kawasaki",
        "14",
        "Kanagawa, Kawasaki-shi Nakahara-ku 4-5",
        "Kanto/Kanagawa Branch",
    ),
    ("SM-KYO-003", "Sakura Mart Shijo", "26", "Kyoto, Shimogyo-ku Shijo-dori 6-7", "Kansai/Kyoto Branch"),
    ("SM-OSA-004", "Sakura Mart Umeda DC", "27", "Osaka, Kita-ku Umeda 8-9", "Kansai/Osaka Branch"),
)
_SHOWCASE_REFRIGERANTS = ("R404A", "R410A", "R448A", "R463A")


@dataclass(frozen=True)
class SampleUnit:
    equipment: Equipment
    manager: ManagerAssignment


@dataclass(frozen=True)
class SampleSite:
    site: Site
    units: tuple[SampleUnit, ...]


@dataclass(frozen=True)
class SampleRetailer:
    contractor: Contractor
    sites: tuple[SampleSite, ...]


def sample_retailer(seed: int = 7) -> SampleRetailer:
    """Four stores with ten showcases each; the Osaka distribution centre also runs two chillers."""
    rng = random.Random(seed)
    contractor = Contractor("Nihon Reito Service K.K.", "13-0042", prefecture_code="13", address="Tokyo, Koto-ku")
    sites = []
    for code, name, pref, address, below in _STORES:
        site = Site(code, name, pref, address, OrgPath.parse(f"{COMPANY}/{below}"))
        units = [_showcase(rng, code, n) for n in range(1, 11)]
        if code.startswith("SM-OSA"):
            units += [_chiller(rng, code, n) for n in (1, 2)]
        sites.append(SampleSite(site, tuple(units)))
    return SampleRetailer(contractor, tuple(sites))


def _showcase(rng: random.Random, site_code: str, n: int) -> SampleUnit:
    remote = n <= 7
    kw = Decimal(rng.choice(("2.2", "3.7", "5.5", "7.5", "11.0"))) if remote else Decimal("0.75")
    unit = Equipment(
        management_no=f"{site_code}-SC{n:02d}",
        kind=EquipmentKind.SHOWCASE_REMOTE if remote else EquipmentKind.SHOWCASE_BUILTIN,
        refrigerant=rng.choice(_SHOWCASE_REFRIGERANTS) if remote else "R404A",
        charge_kg=Decimal(rng.choice(("6.5", "8.0", "12.0", "18.5"))) if remote else Decimal("0.9"),
        circuits=(RefrigerantCircuit(1, (Compressor(kw),)),),
        installed_on=date(2016 + rng.randrange(8), rng.randrange(1, 13), 1),
        manufacturer=rng.choice(("Hoshizaki", "Sanyo", "Fukushima Galilei", "Panasonic")),
        model=f"SC-{rng.randrange(100, 999)}",
        serial_no=f"{rng.randrange(10**7):07d}",
    )
    return SampleUnit(unit, ManagerAssignment(COMPANY, ManagerReason.OWNERSHIP))


def _chiller(rng: random.Random, site_code: str, n: int) -> SampleUnit:
    # Two circuits, each with two compressors: the periodic-inspection class follows each circuit's sum.
    circuits = tuple(RefrigerantCircuit(c, (Compressor(Decimal("22.0")), Compressor(Decimal("22.0")))) for c in (1, 2))
    unit = Equipment(
        management_no=f"{site_code}-CH{n:02d}",
        kind=EquipmentKind.CHILLER,
        refrigerant="R410A",
        charge_kg=Decimal("48.0"),
        circuits=circuits,
        installed_on=date(2019, 4, 1),
        manufacturer="Mitsubishi Electric",
        model="MSV-B1500",
        serial_no=f"{rng.randrange(10**7):07d}",
    )
    return SampleUnit(unit, ManagerAssignment(COMPANY, ManagerReason.LEASE))
