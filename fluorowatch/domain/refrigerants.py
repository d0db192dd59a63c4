"""Refrigerant names, families and GWP values under the Fluorocarbon Emissions Control Act.

Package data: ``gwp.csv`` (2016 GWP notice tables 1 and 2, REGULATION.md (g7)), ``refrigerant_families.csv``
(family of every known name) and ``blend_compositions.csv`` (ASHRAE 34 mass % of blends the notice does not
list; their GWP follows the notice's rule for unlisted blends (g7), their family the blend rule (m2)).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib.resources import files
from types import MappingProxyType

Composition = tuple[tuple[str, Decimal], ...]
FractionInput = Mapping[str, Decimal | float | int]

SOURCE_TABLE1 = "2016 GWP notice table 1"
SOURCE_TABLE2 = "2016 GWP notice table 2"
SOURCE_BLEND_RULE = "blend rule (g7) over ASHRAE 34 composition"
SOURCE_CUSTOM = "blend rule (g7) over user-given composition"
SOURCE_OUTSIDE = "outside the Act (a1): no notice GWP"


class UnknownRefrigerant(ValueError):
    """A name that is not a refrigerant designation, or one this registry does not know."""


class OutsideTheAct(ValueError):
    """A known refrigerant that is not a fluorocarbon under the Act, so the notice gives it no GWP."""


class Family(StrEnum):
    """Chemical family. ``OTHER`` holds non-Act halocarbons and ethers (PFCs, R13I1, RE170)."""

    CFC = "CFC"
    HCFC = "HCFC"
    HFC = "HFC"
    HFO = "HFO"
    HC = "HC"
    NATURAL = "natural"
    OTHER = "other"


# REGULATION (a1) condition 3: only CFC, HCFC and HFC are fluorocarbons (フロン類) under the Act.
FLUOROCARBONS = frozenset({Family.CFC, Family.HCFC, Family.HFC})
# REGULATION (m2): any CFC component -> CFC; else any HCFC -> HCFC; else any HFC -> HFC (in scope).
# The order after HFC (blends with no fluorocarbon at all, all outside the Act) is our interpretation.
_BLEND_PRECEDENCE = (Family.CFC, Family.HCFC, Family.HFC, Family.HFO, Family.HC, Family.OTHER, Family.NATURAL)

# REGULATION (g7) name normalisation: optional family prefix, then the ASHRAE designation.
_PREFIX = re.compile(r"HCFC|HFC|HFO|CFC|FC|HC|R", re.IGNORECASE)
_BODY = re.compile(r"(E?)(\d+)((?:[BI]\d+)?)([A-Z]{0,3})(?:\(([EZ])\))?", re.IGNORECASE)
_BLEND_NAME = re.compile(r"R[45]\d\d[A-Z]?")


def normalise_refrigerant_name(raw: str) -> str:
    """Return the canonical name of ``raw`` (REGULATION (g7)), e.g. ``HFC-134A`` -> ``R134a``.

    Whitespace and hyphens are dropped, as is a leading R / HFC / HCFC / CFC / FC / HFO / HC (any case).
    Blends (400-599) get an upper-case letter suffix, which 400-series zeotropes must have; singles keep
    a lower-case isomer suffix and an upper-case ``(E)`` / ``(Z)`` marker. Raises ``UnknownRefrigerant``
    for anything that is not a designation. This checks the form only, not that the refrigerant exists.
    """
    compact = re.sub(r"[\s\-]+", "", raw)
    prefix = _PREFIX.match(compact)
    body = _BODY.fullmatch(compact[prefix.end() :] if prefix else compact)
    if body is None:
        raise UnknownRefrigerant(f"{raw!r} is not a refrigerant name; write it like R404A, HFC-134a or R1234ze(E)")
    ether, number, halogen, letters, isomer = body.groups()
    if 400 <= int(number) <= 599:
        if ether or halogen or isomer or len(letters) > 1 or (int(number) < 500 and not letters):
            raise UnknownRefrigerant(
                f"{raw!r} is not a blend designation; write blends with one letter, like R404A or R502"
            )
        return f"R{number}{letters.upper()}"
    marker = f"({isomer.upper()})" if isomer else ""
    return f"R{ether.upper()}{number}{halogen.upper()}{letters.lower()}{marker}"


@dataclass(frozen=True)
class Refrigerant:
    """One refrigerant. ``gwp`` is None outside the Act; ``composition`` (mass %) only for rule blends."""

    name: str
    family: Family
    gwp: int | None
    source: str
    composition: Composition = ()

    @property
    def in_scope(self) -> bool:
        """True for a fluorocarbon under the Act: CFC, HCFC or HFC (REGULATION (a1))."""
        return self.family in FLUOROCARBONS

    @property
    def is_blend(self) -> bool:
        """True for a notice table-2 blend or a blend known by its composition."""
        return bool(self.composition) or self.source == SOURCE_TABLE2


@dataclass(frozen=True, eq=False)
class RefrigerantRegistry:
    """Immutable name -> Refrigerant lookup. ``with_blend`` returns a new registry."""

    _entries: Mapping[str, Refrigerant] = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_entries", MappingProxyType(dict(self._entries)))

    @classmethod
    def default(cls) -> RefrigerantRegistry:
        """The registry built from the CSVs shipped in the package (loaded once, then cached)."""
        return _default_registry()

    def names(self) -> list[str]:
        """All canonical names, sorted (a new list each call)."""
        return sorted(self._entries)

    def get(self, name: str) -> Refrigerant:
        """Look up ``name`` after normalising it; raise ``UnknownRefrigerant`` if it is not known."""
        key = normalise_refrigerant_name(name)
        if key in self._entries:
            return self._entries[key]
        if _BLEND_NAME.fullmatch(key):
            hint = "give its composition to apply the blend rule (REGULATION (g7)), e.g. with_blend()"
        else:
            hint = "it is neither in the GWP notice nor a known refrigerant outside the Act"
        raise UnknownRefrigerant(f"unknown refrigerant {name!r} (read as {key}): {hint}")

    def gwp(self, name: str) -> int:
        """GWP of ``name`` per the notice or the blend rule; ``OutsideTheAct`` if it is not a fluorocarbon."""
        refrigerant = self.get(name)
        if refrigerant.gwp is None:
            raise OutsideTheAct(
                f"{refrigerant.name} is {refrigerant.family.value}, not a fluorocarbon under the Act "
                "(REGULATION (a1)): the GWP notice gives it no value and it never counts in leakage (g1)"
            )
        return refrigerant.gwp

    def blend_gwp(self, composition: FractionInput) -> int:
        """GWP of a blend by the notice's rule for unlisted blends (REGULATION (g7)).

        ``composition`` maps components to mass % (must sum to 100 within 0.01). GWP = sum of
        pct / 100 x table-1 GWP, a component not in table 1 counting 0, rounded half up to an integer.
        """
        parts = self._components(composition)
        total = sum((pct * self._table1_gwp(name) for name, pct in parts), Decimal(0)) / 100
        return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def blend_family(self, composition: FractionInput) -> Family:
        """Family of a blend from its components' families (REGULATION (m2)); components must be known."""
        families = {self._component(name).family for name, _ in self._components(composition)}
        return next(family for family in _BLEND_PRECEDENCE if family in families)

    def with_blend(self, name: str, composition: FractionInput) -> RefrigerantRegistry:
        """A new registry that also knows blend ``name`` (mass %); this one is unchanged.

        ``name`` must be a designation not yet known (notice values cannot be overridden).
        """
        key = normalise_refrigerant_name(name)
        if key in self._entries:
            raise ValueError(f"{key} is already registered ({self._entries[key].source})")
        return RefrigerantRegistry({**self._entries, key: self._blend(key, composition, SOURCE_CUSTOM)})

    def _blend(self, name: str, composition: FractionInput, source: str) -> Refrigerant:
        parts = self._components(composition)
        family = self.blend_family(dict(parts))
        gwp = self.blend_gwp(dict(parts)) if family in FLUOROCARBONS else None
        return Refrigerant(name, family, gwp, source, parts)

    def _components(self, composition: FractionInput) -> Composition:
        parts = _parse_composition(composition)
        for name, _ in parts:
            if name in self._entries and self._entries[name].is_blend:
                raise ValueError(f"component {name} is itself a blend; give its single components")
        return parts

    def _component(self, name: str) -> Refrigerant:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownRefrigerant(
                f"blend component {name} is unknown, so the blend rule (m2) cannot classify the blend"
            ) from None

    def _table1_gwp(self, name: str) -> int:
        entry = self._entries.get(name)
        if entry is None or entry.source != SOURCE_TABLE1 or entry.gwp is None:
            return 0  # REGULATION (g7): a component not in table 1 counts as 0
        return entry.gwp


def _parse_composition(composition: FractionInput) -> Composition:
    parts: dict[str, Decimal] = {}
    for raw, value in composition.items():
        name = normalise_refrigerant_name(raw)
        try:
            pct = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"mass fraction of {name} is not a number: {value!r}") from None
        if name in parts:
            raise ValueError(f"component {name} is given twice")
        if not (pct.is_finite() and pct > 0):
            raise ValueError(f"mass fraction of {name} must be a positive number of %, got {value!r}")
        parts[name] = pct
    total = sum(parts.values(), Decimal(0))
    if abs(total - 100) > Decimal("0.01"):
        raise ValueError(f"mass fractions must sum to 100 % (within 0.01), got {total}")
    return tuple(parts.items())


def _rows(filename: str) -> list[dict[str, str]]:
    text = (files("fluorowatch.domain") / "data" / filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def family_table() -> Mapping[str, Family]:
    """The families listed in ``refrigerant_families.csv`` (read-only)."""
    rows = _rows("refrigerant_families.csv")
    return MappingProxyType({row["refrigerant"]: Family(row["family"]) for row in rows})


@cache
def _default_registry() -> RefrigerantRegistry:
    families = family_table()
    entries: dict[str, Refrigerant] = {}
    for row in _rows("gwp.csv"):
        source = SOURCE_TABLE1 if row["source_table"] == "table1" else SOURCE_TABLE2
        name = row["refrigerant"]
        entries[name] = Refrigerant(name, families[name], int(row["gwp"]), source)
    compositions: dict[str, dict[str, Decimal]] = {}
    for row in _rows("blend_compositions.csv"):
        compositions.setdefault(row["refrigerant"], {})[row["component"]] = Decimal(row["mass_fraction_pct"])
    for name, family in families.items():
        if name not in entries and name not in compositions:
            if family in FLUOROCARBONS:
                raise ValueError(f"{name} is a {family.value} with neither a notice GWP nor a composition")
            entries[name] = Refrigerant(name, family, None, SOURCE_OUTSIDE)
    base = RefrigerantRegistry(entries)
    for name, composition in compositions.items():
        entries[name] = base._blend(name, composition, SOURCE_BLEND_RULE)
        if entries[name].family != families.get(name):
            raise ValueError(f"{name}: family from composition {entries[name].family} != listed family")
    return RefrigerantRegistry(entries)
