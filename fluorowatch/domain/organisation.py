"""Companies, sites, prefectures, managers and contractors.

REGULATION.md (a2) who the manager is, (g2) sites and prefectures, (i1) contractors, (l4) hierarchy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType

__all__ = [
    "MAX_ORG_DEPTH",
    "PREFECTURES",
    "Contractor",
    "ManagerAssignment",
    "ManagerReason",
    "OrgLevel",
    "OrgPath",
    "Prefecture",
    "Site",
    "prefecture",
]


@dataclass(frozen=True)
class Prefecture:
    code: str  # JIS X 0401, two digits
    name_ja: str
    name_en: str


_PREFECTURE_NAMES: tuple[tuple[str, str], ...] = (
    ("北海道", "Hokkaido"), ("青森県", "Aomori"), ("岩手県", "Iwate"), ("宮城県", "Miyagi"),
    ("秋田県", "Akita"), ("山形県", "Yamagata"), ("福島県", "Fukushima"), ("茨城県", "Ibaraki"),
    ("栃木県", "Tochigi"), ("群馬県", "Gunma"), ("埼玉県", "Saitama"), ("千葉県", "Chiba"),
    ("東京都", "Tokyo"), ("神奈川県", "Kanagawa"), ("新潟県", "Niigata"), ("富山県", "Toyama"),
    ("石川県", "Ishikawa"), ("福井県", "Fukui"), ("山梨県", "Yamanashi"), ("長野県", "Nagano"),
    ("岐阜県", "Gifu"), ("静岡県", "Shizuoka"), ("愛知県", "Aichi"), ("三重県", "Mie"),
    ("滋賀県", "Shiga"), ("京都府", "Kyoto"), ("大阪府", "Osaka"), ("兵庫県", "Hyogo"),
    ("奈良県", "Nara"), ("和歌山県", "Wakayama"), ("鳥取県", "Tottori"), ("島根県", "Shimane"),
    ("岡山県", "Okayama"), ("広島県", "Hiroshima"), ("山口県", "Yamaguchi"), ("徳島県", "Tokushima"),
    ("香川県", "Kagawa"), ("愛媛県", "Ehime"), ("高知県", "Kochi"), ("福岡県", "Fukuoka"),
    ("佐賀県", "Saga"), ("長崎県", "Nagasaki"), ("熊本県", "Kumamoto"), ("大分県", "Oita"),
    ("宮崎県", "Miyazaki"), ("鹿児島県", "Kagoshima"), ("沖縄県", "Okinawa"),
)  # fmt: skip

PREFECTURES: Mapping[str, Prefecture] = MappingProxyType(
    {
        f"{number:02d}": Prefecture(f"{number:02d}", name_ja, name_en)
        for number, (name_ja, name_en) in enumerate(_PREFECTURE_NAMES, start=1)
    }
)


def prefecture(code: str | int) -> Prefecture:
    """Look up a prefecture by JIS X 0401 code: 13, "13" and "1" (-> "01") are accepted."""
    if isinstance(code, bool) or not isinstance(code, int | str):
        raise ValueError(f"prefecture code must be an int or a string, got {code!r}")
    text = str(code).strip()
    key = text.zfill(2) if text.isascii() and text.isdigit() and len(text) <= 2 else text
    try:
        return PREFECTURES[key]
    except KeyError:
        raise ValueError(f"unknown prefecture code {code!r} (expected JIS X 0401 01..47)") from None


def _require_text(field: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} must be a non-empty string, got {value!r}")


class OrgLevel(IntEnum):
    """Depth in the organisation tree; sites hang below any level (REGULATION.md (l4): up to 3 levels)."""

    COMPANY = 1
    REGION = 2
    BRANCH = 3


MAX_ORG_DEPTH: int = len(OrgLevel)
_SEPARATOR = "/"


@dataclass(frozen=True)
class OrgPath:
    """Company first, then at most two intermediate levels, e.g. ``Company/Region/Branch``."""

    parts: tuple[str, ...]

    def __post_init__(self) -> None:
        parts = tuple(self.parts)
        object.__setattr__(self, "parts", parts)
        if not parts:
            raise ValueError("org path: needs at least the company")
        if len(parts) > MAX_ORG_DEPTH:
            raise ValueError(
                f"org path {_SEPARATOR.join(parts)!r}: at most {MAX_ORG_DEPTH} levels "
                f"(company and two intermediate levels), got {len(parts)}"
            )
        for part in parts:
            if not isinstance(part, str) or not part.strip() or part != part.strip() or _SEPARATOR in part:
                raise ValueError(f"org path {parts!r}: part {part!r} must be non-empty, trimmed, without '/'")

    @classmethod
    def parse(cls, text: str) -> OrgPath:
        """Parse ``"Company/Region/Branch"``; whitespace around parts is stripped."""
        parts = tuple(part.strip() for part in text.split(_SEPARATOR))
        if any(not part for part in parts):
            raise ValueError(f"org path {text!r}: empty part")
        return cls(parts)

    @property
    def company(self) -> str:
        return self.parts[0]

    @property
    def level(self) -> OrgLevel:
        return OrgLevel(len(self.parts))

    @property
    def parent(self) -> OrgPath | None:
        return None if len(self.parts) == 1 else OrgPath(self.parts[:-1])

    def child(self, name: str) -> OrgPath:
        return OrgPath((*self.parts, name.strip()))

    def is_within(self, other: OrgPath) -> bool:
        """True if this path is ``other`` or below it."""
        return self.parts[: len(other.parts)] == other.parts

    def __str__(self) -> str:
        return _SEPARATOR.join(self.parts)


@dataclass(frozen=True)
class Site:
    """A site (事業所). Units at another business's site or on vehicles/ships count for the company
    total but never for one of the reporter's own sites (REGULATION.md (g2))."""

    site_code: str
    name: str
    prefecture_code: str
    address: str
    org_path: OrgPath
    is_own_premises: bool = True
    is_mobile: bool = False  # vehicles, ships: attributed to the managing site's prefecture (g2)

    def __post_init__(self) -> None:
        _require_text("site_code", self.site_code)
        _require_text("name", self.name)
        object.__setattr__(self, "prefecture_code", prefecture(self.prefecture_code).code)
        if not isinstance(self.org_path, OrgPath):
            raise ValueError(f"org_path must be an OrgPath, got {self.org_path!r}")

    @property
    def prefecture(self) -> Prefecture:
        return PREFECTURES[self.prefecture_code]

    @property
    def counts_as_own_site(self) -> bool:
        """Whether the site's units may be aggregated into one of the reporter's own sites (g2)."""
        return self.is_own_premises and not self.is_mobile


class ManagerReason(StrEnum):
    """Why a party is the manager (管理者) of a unit (REGULATION.md (a2))."""

    OWNERSHIP = "ownership"
    LEASE = "lease"  # lessee is manager
    RENTAL = "rental"  # rental company is manager
    INSTALMENT_SALE = "instalment_sale"  # user is manager
    TENANT_BUILDING_OWNER = "tenant_building_owner"  # unit built into the building
    TENANT_OWNED = "tenant_owned"  # unit brought in by the tenant
    CO_OWNERSHIP_AGREEMENT = "co_ownership_agreement"  # co-owners agree on one manager
    MAINTENANCE_CONTRACT = "maintenance_contract"  # written contract puts maintenance duty on a non-owner
    FRANCHISOR = "franchisor"
    FRANCHISEE = "franchisee"
    TRUST = "trust"  # holder of the right to instruct management of trust property
    VEHICLE_OWNER = "vehicle_owner"
    OTHER = "other"


@dataclass(frozen=True)
class ManagerAssignment:
    """The single manager of one unit, with the reason; ``leak_reporter`` only when it differs.

    REGULATION.md (a2): one manager per unit (co-owners agree on one); in the franchise case the
    calculated-leakage reporter may be the franchisor while the franchisee is the manager.
    """

    manager_name: str
    reason: ManagerReason
    leak_reporter: str | None = None

    def __post_init__(self) -> None:
        _require_text("manager_name", self.manager_name)
        try:
            object.__setattr__(self, "reason", ManagerReason(self.reason))
        except ValueError:
            raise ValueError(f"reason must be a ManagerReason, got {self.reason!r}") from None
        if self.leak_reporter is not None:
            _require_text("leak_reporter", self.leak_reporter)

    @property
    def reporter(self) -> str:
        return self.leak_reporter if self.leak_reporter is not None else self.manager_name


@dataclass(frozen=True)
class Contractor:
    """Registered charging/recovery contractor (第一種フロン類充塡回収業者, REGULATION.md (i1))."""

    name: str
    registration_no: str
    prefecture_code: str | None = None  # prefecture that issued the registration
    address: str = ""

    def __post_init__(self) -> None:
        _require_text("name", self.name)
        _require_text("registration_no", self.registration_no)
        if self.prefecture_code is not None:
            object.__setattr__(self, "prefecture_code", prefecture(self.prefecture_code).code)
