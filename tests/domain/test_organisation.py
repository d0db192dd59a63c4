"""Prefectures, organisation tree, sites, managers, contractors: REGULATION.md (a2), (g2), (i1), (l4)."""

from __future__ import annotations

from typing import Any

import pytest

from fluorowatch.domain.organisation import (
    MAX_ORG_DEPTH,
    PREFECTURES,
    Contractor,
    ManagerAssignment,
    ManagerReason,
    OrgLevel,
    OrgPath,
    Prefecture,
    Site,
    prefecture,
)

# --- prefectures --------------------------------------------------------------------------------


def test_all_47_prefectures_are_present_with_unique_names() -> None:
    """REGULATION.md (g2): the report aggregates by prefecture (JIS X 0401 codes 01..47)."""
    assert list(PREFECTURES) == [f"{n:02d}" for n in range(1, 48)]
    assert all(code == p.code for code, p in PREFECTURES.items())
    assert len({p.name_ja for p in PREFECTURES.values()}) == 47
    assert len({p.name_en for p in PREFECTURES.values()}) == 47


def test_every_japanese_prefecture_name_has_a_valid_suffix() -> None:
    """REGULATION.md (g2): one 都, one 道, two 府, 43 県."""
    suffixes = [p.name_ja[-1] for p in PREFECTURES.values()]
    assert (suffixes.count("都"), suffixes.count("道"), suffixes.count("府"), suffixes.count("県")) == (
        1,
        1,
        2,
        43,
    )


@pytest.mark.parametrize(
    ("code", "name_ja", "name_en"),
    [
        ("01", "北海道", "Hokkaido"),
        ("13", "東京都", "Tokyo"),
        ("14", "神奈川県", "Kanagawa"),
        ("23", "愛知県", "Aichi"),
        ("26", "京都府", "Kyoto"),
        ("27", "大阪府", "Osaka"),
        ("28", "兵庫県", "Hyogo"),
        ("40", "福岡県", "Fukuoka"),
        ("46", "鹿児島県", "Kagoshima"),
        ("47", "沖縄県", "Okinawa"),
    ],
)
def test_known_prefecture_codes(code: str, name_ja: str, name_en: str) -> None:
    """REGULATION.md (g2), (m1): prefecture of installation; Kyoto has its own report."""
    assert PREFECTURES[code] == Prefecture(code, name_ja, name_en)


@pytest.mark.parametrize("code", [13, "13", " 13 "])
def test_prefecture_lookup_accepts_int_and_string(code: str | int) -> None:
    """REGULATION.md (g2): prefecture lookup by JIS code."""
    assert prefecture(code).name_en == "Tokyo"


@pytest.mark.parametrize("code", [1, "1", "01"])
def test_single_digit_code_is_zero_padded(code: str | int) -> None:
    """REGULATION.md (g2): codes are two digits, "1" means "01"."""
    assert prefecture(code).name_ja == "北海道"


@pytest.mark.parametrize("code", [0, 48, -1, "00", "48", "001", "", "Tokyo", "１３", True, 13.0, None])
def test_unknown_prefecture_code_is_rejected(code: Any) -> None:
    """REGULATION.md (g2): only the 47 prefectures exist."""
    with pytest.raises(ValueError, match="prefecture code"):
        prefecture(code)


# --- organisation path --------------------------------------------------------------------------


def test_org_path_parse_strips_whitespace_and_round_trips() -> None:
    """REGULATION.md (l4): up to 3 hierarchy levels (head office, branch, ...)."""
    path = OrgPath.parse(" Acme / Kansai /Kyoto branch ")
    assert path.parts == ("Acme", "Kansai", "Kyoto branch")
    assert path.company == "Acme"
    assert path.level is OrgLevel.BRANCH
    assert str(path) == "Acme/Kansai/Kyoto branch"
    assert OrgPath.parse(str(path)) == path


def test_company_alone_is_a_valid_path() -> None:
    """REGULATION.md (g2): the company total is the top of the tree."""
    path = OrgPath.parse("Acme")
    assert path.level is OrgLevel.COMPANY
    assert path.parent is None


def test_org_path_parent_child_and_containment() -> None:
    """REGULATION.md (l4): head office sees every branch and site below it."""
    branch = OrgPath.parse("Acme/Kansai").child(" Kyoto ")
    assert str(branch) == "Acme/Kansai/Kyoto"
    assert branch.parent == OrgPath(("Acme", "Kansai"))
    assert branch.is_within(OrgPath(("Acme",)))
    assert not OrgPath(("Acme",)).is_within(branch)
    assert not branch.is_within(OrgPath(("Other",)))


def test_org_path_allows_at_most_company_and_two_levels() -> None:
    """REGULATION.md (l4): up to 3 levels."""
    assert MAX_ORG_DEPTH == 3
    with pytest.raises(ValueError, match="at most 3 levels"):
        OrgPath.parse("Acme/Kansai/Kyoto/Fushimi")
    with pytest.raises(ValueError, match="at most 3 levels"):
        OrgPath.parse("Acme/Kansai/Kyoto").child("Fushimi")


@pytest.mark.parametrize("text", ["", "  ", "Acme//Kyoto", "/Acme", "Acme/", "Acme/ /Kyoto"])
def test_org_path_rejects_empty_parts(text: str) -> None:
    """REGULATION.md (l4): every level is named."""
    with pytest.raises(ValueError, match="empty part"):
        OrgPath.parse(text)


@pytest.mark.parametrize("parts", [(), ("",), (" Acme",), ("Acme", "A/B")])
def test_org_path_constructor_rejects_bad_parts(parts: tuple[str, ...]) -> None:
    """REGULATION.md (l4): parts are non-empty, trimmed names without '/'."""
    with pytest.raises(ValueError, match="org path"):
        OrgPath(parts)


# --- sites --------------------------------------------------------------------------------------


def _site(**changes: Any) -> Site:
    fields: dict[str, Any] = {
        "site_code": "KY-001",
        "name": "Kyoto store",
        "prefecture_code": "26",
        "address": "京都市中京区",
        "org_path": OrgPath.parse("Acme/Kansai"),
    }
    fields.update(changes)
    return Site(**fields)


def test_site_normalises_prefecture_code() -> None:
    """REGULATION.md (g2): the site's address decides the prefecture."""
    site = _site(prefecture_code=1)
    assert site.prefecture_code == "01"
    assert site.prefecture.name_en == "Hokkaido"


def test_own_site_counts_as_own_site() -> None:
    """REGULATION.md (g2): units at the reporter's own sites are aggregated per site."""
    assert _site().counts_as_own_site


@pytest.mark.parametrize("changes", [{"is_own_premises": False}, {"is_mobile": True}])
def test_other_business_premises_and_vehicles_never_count_as_own_site(changes: dict[str, Any]) -> None:
    """REGULATION.md (g2): units at another business's site or on vehicles/ships count for the company."""
    assert not _site(**changes).counts_as_own_site


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"site_code": ""}, "site_code"),
        ({"name": " "}, "name"),
        ({"prefecture_code": "99"}, "prefecture code"),
        ({"org_path": "Acme/Kansai"}, "org_path"),
    ],
)
def test_invalid_site_is_rejected_naming_the_field(changes: dict[str, Any], field: str) -> None:
    """REGULATION.md (g2): a site has a code, a name, a prefecture and a place in the organisation."""
    with pytest.raises(ValueError, match=field):
        _site(**changes)


# --- managers -----------------------------------------------------------------------------------


def test_manager_reasons_cover_the_a2_table() -> None:
    """REGULATION.md (a2): one reason per row of the who-is-the-manager table."""
    assert {r.value for r in ManagerReason} == {
        "ownership", "lease", "rental", "instalment_sale", "tenant_building_owner", "tenant_owned",
        "co_ownership_agreement", "maintenance_contract", "franchisor", "franchisee", "trust",
        "vehicle_owner", "other",
    }  # fmt: skip


def test_reporter_defaults_to_the_manager() -> None:
    """REGULATION.md (a2): the manager reports unless the franchise rule moves the report."""
    assignment = ManagerAssignment("Acme Leasing user", ManagerReason.LEASE)
    assert assignment.reporter == "Acme Leasing user"


def test_franchisee_manager_can_have_the_franchisor_as_reporter() -> None:
    """REGULATION.md (a2) franchise reporting: manager and reporter differ."""
    assignment = ManagerAssignment("Store owner K.K.", ManagerReason.FRANCHISEE, leak_reporter="Chain HQ K.K.")
    assert assignment.manager_name == "Store owner K.K."
    assert assignment.reporter == "Chain HQ K.K."


def test_reason_given_as_string_is_normalised_to_enum() -> None:
    """REGULATION.md (a2): the reason is one of the listed cases."""
    assert ManagerAssignment("Acme", "rental").reason is ManagerReason.RENTAL  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", ManagerReason.OWNERSHIP), "manager_name"),
        (("Acme", "purchase"), "reason"),
        (("Acme", ManagerReason.FRANCHISEE, " "), "leak_reporter"),
    ],
)
def test_invalid_manager_assignment_is_rejected_naming_the_field(args: tuple[Any, ...], field: str) -> None:
    """REGULATION.md (a2): one named manager per unit with a reason."""
    with pytest.raises(ValueError, match=field):
        ManagerAssignment(*args)


# --- contractors --------------------------------------------------------------------------------


def test_contractor_normalises_registration_prefecture() -> None:
    """REGULATION.md (i1): contractors register with the governor of each prefecture."""
    contractor = Contractor("Kyoto Reito K.K.", "第26-0001号", prefecture_code=26)  # type: ignore[arg-type]
    assert contractor.prefecture_code == "26"
    assert Contractor("X", "R-1").prefecture_code is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "registration_no": "R-1"}, "name"),
        ({"name": "X", "registration_no": ""}, "registration_no"),
        ({"name": "X", "registration_no": "R-1", "prefecture_code": "48"}, "prefecture code"),
    ],
)
def test_invalid_contractor_is_rejected_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    """REGULATION.md (i1): a registered contractor has a registration number."""
    with pytest.raises(ValueError, match=field):
        Contractor(**kwargs)
