"""The calculated leakage as JSON with stable keys, every value exact as a decimal string: the form's rounding
(REGULATION.md (g3)) applies to the CSV, PDF and XLSX of the form only, never here."""

from __future__ import annotations

import json
from decimal import Decimal

from compliance.leakage import Leakage, LeakageReport


def decimal_text(value: Decimal) -> str:
    """An exact value without exponent or trailing zeros: 784.000 → "784", 12.42360 → "12.4236"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def leakage_json(report: LeakageReport) -> str:
    document = {
        "fiscal_year": report.fiscal_year,
        "company": report.company,
        "company_t_co2": decimal_text(report.company_t_co2),
        "specified_leaker": report.specified_leaker,
        "by_prefecture": [
            {"prefecture_code": code, **amounts(leakage, refrigerant)}
            for code, leakage in sorted(report.by_prefecture.items()) for refrigerant in leakage.refrigerants
        ],
        "by_site": [
            {"site_code": code, **amounts(leakage, refrigerant)}
            for code, leakage in sorted(report.by_site.items()) for refrigerant in leakage.refrigerants
        ],
        "specified_sites": report.specified_sites,
        "by_unit": by_unit(report),
        "by_organisation": [
            {"path": list(path), "t_co2": decimal_text(leakage.total_t_co2)}
            for path, leakage in sorted(report.by_organisation.items())
        ],
    }  # fmt: skip
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def amounts(leakage: Leakage, refrigerant: str) -> dict[str, object]:
    """Actual leakage (kg) and calculated leakage (t-CO2) of one refrigerant (g1)."""
    return {
        "refrigerant": refrigerant,
        "kg": decimal_text(leakage.flows[refrigerant].leaked_kg),
        "t_co2": decimal_text(leakage.t_co2(refrigerant)),
    }


def by_unit(report: LeakageReport) -> list[dict[str, str]]:
    """Per unit and refrigerant, ordered by site then management number."""
    rows = []
    places = report.units
    for equipment_id in sorted(report.by_unit, key=lambda u: (places[u].site_code, places[u].management_no)):
        leakage = report.by_unit[equipment_id]
        for refrigerant in leakage.refrigerants:
            flow = leakage.flows[refrigerant]
            rows.append({
                "management_no": report.units[equipment_id].management_no, "refrigerant": refrigerant,
                "charged_kg": decimal_text(flow.charged_kg), "recovered_kg": decimal_text(flow.recovered_kg),
                "t_co2": decimal_text(leakage.t_co2(refrigerant)),
            })  # fmt: skip
    return rows
