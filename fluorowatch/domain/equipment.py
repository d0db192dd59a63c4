"""Class-1 specified products (第一種特定製品): units, refrigerant circuits and compressors.

REGULATION.md (a1) scope, (b2) periodic inspection by summed kW per circuit, (e) logbook retention.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from fluorowatch.domain.inspection_rules import LegalCategory, periodic_inspection_interval_months

__all__ = [
    "DEFAULT_LEGAL_CATEGORY",
    "EQUIPMENT_KIND_LABELS",
    "LOGBOOK_RETENTION_YEARS",
    "Compressor",
    "Equipment",
    "EquipmentKind",
    "RefrigerantCircuit",
    "parse_rated_output",
]

LOGBOOK_RETENTION_YEARS = 3  # REGULATION.md (e): kept until 3 years after disposal


class EquipmentKind(StrEnum):
    SHOWCASE_REMOTE = "showcase_remote"  # 別置型ショーケース
    SHOWCASE_BUILTIN = "showcase_builtin"  # 内蔵型ショーケース
    REFRIGERATOR = "refrigerator"
    COLD_ROOM = "cold_room"
    CONDENSING_UNIT = "condensing_unit"
    PACKAGE_AC = "package_ac"
    CHILLER = "chiller"
    TURBO_CHILLER = "turbo_chiller"


# The kind as the example logbook's header writes it (機器区分, REGULATION.md (e2)).
EQUIPMENT_KIND_LABELS: Mapping[EquipmentKind, str] = MappingProxyType(
    {
        EquipmentKind.SHOWCASE_REMOTE: "別置型ショーケース",
        EquipmentKind.SHOWCASE_BUILTIN: "内蔵型ショーケース",
        EquipmentKind.REFRIGERATOR: "業務用冷蔵庫・冷凍庫",
        EquipmentKind.COLD_ROOM: "プレハブ冷蔵庫・冷凍庫",
        EquipmentKind.CONDENSING_UNIT: "コンデンシングユニット",
        EquipmentKind.PACKAGE_AC: "パッケージエアコン",
        EquipmentKind.CHILLER: "チリングユニット",
        EquipmentKind.TURBO_CHILLER: "ターボ冷凍機",
    }
)

# Chillers: the seeds do not say whether an air-conditioning chiller is an "air conditioner"
# (REGULATION.md (b2) ⚠ chillers, (n) #15). We classify by use; [001] lists central air conditioning
# using turbo chillers under air conditioners, so the default is air_conditioner and a chiller used for
# refrigeration/freezing/process cooling sets Equipment.legal_category_override = REFRIGERATION.
DEFAULT_LEGAL_CATEGORY: Mapping[EquipmentKind, LegalCategory] = MappingProxyType(
    {
        EquipmentKind.SHOWCASE_REMOTE: LegalCategory.REFRIGERATION,
        EquipmentKind.SHOWCASE_BUILTIN: LegalCategory.REFRIGERATION,
        EquipmentKind.REFRIGERATOR: LegalCategory.REFRIGERATION,
        EquipmentKind.COLD_ROOM: LegalCategory.REFRIGERATION,
        EquipmentKind.CONDENSING_UNIT: LegalCategory.REFRIGERATION,
        EquipmentKind.PACKAGE_AC: LegalCategory.AIR_CONDITIONER,
        EquipmentKind.CHILLER: LegalCategory.AIR_CONDITIONER,
        EquipmentKind.TURBO_CHILLER: LegalCategory.AIR_CONDITIONER,
    }
)


def _require_positive(field: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError(f"{field} must be a finite Decimal > 0, got {value!r}")


def _require_text(field: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} must be a non-empty string, got {value!r}")


@dataclass(frozen=True)
class Compressor:
    """One compressor; ``rated_output_kw`` is the motor's nameplate rated output, not measured power (b2)."""

    rated_output_kw: Decimal

    def __post_init__(self) -> None:
        _require_positive("rated_output_kw", self.rated_output_kw)


@dataclass(frozen=True)
class RefrigerantCircuit:
    """Compressors connected by the same refrigerant piping (REGULATION.md (b2))."""

    circuit_no: int
    compressors: tuple[Compressor, ...]
    charge_kg: Decimal | None = None

    def __post_init__(self) -> None:
        if isinstance(self.circuit_no, bool) or not isinstance(self.circuit_no, int) or self.circuit_no < 1:
            raise ValueError(f"circuit_no must be an integer >= 1, got {self.circuit_no!r}")
        object.__setattr__(self, "compressors", tuple(self.compressors))
        if not self.compressors:
            raise ValueError(f"compressors: circuit {self.circuit_no} needs at least one compressor")
        if not all(isinstance(c, Compressor) for c in self.compressors):
            raise ValueError(f"compressors: circuit {self.circuit_no} holds a non-Compressor item")
        if self.charge_kg is not None:
            _require_positive("charge_kg", self.charge_kg)

    @property
    def rated_output_kw(self) -> Decimal:
        """Sum of the compressors on this circuit (REGULATION.md (b2) summing kW)."""
        return sum((c.rated_output_kw for c in self.compressors), Decimal(0))


@dataclass(frozen=True)
class Equipment:
    """One Class-1 unit as listed in the equipment register (REGULATION.md (a1), (m6) register columns)."""

    management_no: str  # 管理番号
    kind: EquipmentKind
    refrigerant: str  # canonical name without hyphen, e.g. "R404A" (REGULATION.md (g7))
    charge_kg: Decimal  # nameplate / proper charge
    circuits: tuple[RefrigerantCircuit, ...]
    installed_on: date | None = None
    disposed_on: date | None = None
    manufacturer: str = ""
    model: str = ""
    serial_no: str = ""
    legal_category_override: LegalCategory | None = None

    def __post_init__(self) -> None:
        _require_text("management_no", self.management_no)
        self._coerce_enum("kind", EquipmentKind)
        _require_text("refrigerant", self.refrigerant)
        _require_positive("charge_kg", self.charge_kg)
        self._validate_circuits()
        self._validate_dates()
        if self.legal_category_override is not None:
            self._coerce_enum("legal_category_override", LegalCategory)

    def _coerce_enum(self, field: str, enum: type[StrEnum]) -> None:
        value = getattr(self, field)
        try:
            object.__setattr__(self, field, enum(value))
        except ValueError:
            raise ValueError(f"{field} must be a {enum.__name__}, got {value!r}") from None

    def _validate_circuits(self) -> None:
        object.__setattr__(self, "circuits", tuple(self.circuits))
        if not self.circuits:
            raise ValueError(f"circuits: equipment {self.management_no!r} needs at least one circuit")
        if not all(isinstance(c, RefrigerantCircuit) for c in self.circuits):
            raise ValueError(f"circuits: {self.management_no!r} holds a non-RefrigerantCircuit item")
        numbers = [c.circuit_no for c in self.circuits]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"circuits: circuit numbers must be unique, got {numbers}")

    def _validate_dates(self) -> None:
        installed, disposed = self.installed_on, self.disposed_on
        if installed is not None and disposed is not None and disposed < installed:
            raise ValueError(f"disposed_on ({disposed}) must not be before installed_on ({installed})")

    @property
    def legal_category(self) -> LegalCategory:
        """The user's override if set, else the default for the kind (REGULATION.md (b2), (n) #15)."""
        if self.legal_category_override is not None:
            return self.legal_category_override
        return DEFAULT_LEGAL_CATEGORY[self.kind]

    @property
    def periodic_inspection_interval_months(self) -> int | None:
        """Shortest interval over the circuits, each judged on its own summed kW; None if none needs one."""
        intervals = [periodic_inspection_interval_months(self.legal_category, c.rated_output_kw) for c in self.circuits]
        return min((i for i in intervals if i is not None), default=None)

    @property
    def is_disposed(self) -> bool:
        return self.disposed_on is not None

    @property
    def logbook_retained_until(self) -> date | None:
        """Disposal date + 3 years (REGULATION.md (e)); 29 Feb maps to 28 Feb. None while in service."""
        if self.disposed_on is None:
            return None
        return _add_years(self.disposed_on, LOGBOOK_RETENTION_YEARS)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return day.replace(year=day.year + years, day=28)


_TERM = re.compile(r"(?P<kw>[0-9]+(?:\.[0-9]+)?)(?:[×xX*](?P<count>[0-9]+))?")


def parse_rated_output(text: str) -> tuple[Compressor, ...]:
    """Parse register notation (REGULATION.md (b2), [004]) into compressors.

    "7.5" -> one compressor; "4.9×2" / "4.9x2" / "11.8*2" -> two equal compressors;
    "5.5+3.7" -> two compressors of different size. Full-width digits and spaces are accepted.
    """
    normalised = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if not normalised:
        raise ValueError(f"rated output {text!r}: empty")
    compressors: list[Compressor] = []
    for term in normalised.split("+"):
        compressors.extend(_parse_term(text, term))
    return tuple(compressors)


def _parse_term(text: str, term: str) -> list[Compressor]:
    match = _TERM.fullmatch(term)
    if match is None:
        raise ValueError(f"rated output {text!r}: expected e.g. '7.5', '4.9×2' or '5.5+3.7'")
    kw = Decimal(match["kw"])
    count = int(match["count"] or 1)
    if kw <= 0 or count < 1:
        raise ValueError(f"rated output {text!r}: kW and compressor count must be > 0")
    return [Compressor(kw) for _ in range(count)]
