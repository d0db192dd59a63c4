"""Form 2's computed parts (REGULATION.md (g5)) as JSON with stable keys, exact values as decimal strings (the
leak rate and the shares, ratios, to 0.01 %), added as key ``form2`` to the calculated-leakage JSON."""

from __future__ import annotations

import json
from decimal import Decimal

from compliance.leakage import LeakageReport
from compliance.reports.form2 import Form2, Sheet, percent_text
from compliance.reports.leakage_json import decimal_text, leakage_json


def leakage_json_with_form2(report: LeakageReport, form: Form2) -> str:
    """`leakage_json` of ``report``, every key as it is, then ``form2``."""
    document = json.loads(leakage_json(report))
    document["form2"] = form2_document(form)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def form2_document(form: Form2) -> dict[str, object]:
    return {
        "fiscal_year": form.fiscal_year,
        "provision_year": form.provision_year,
        "company": form.company,
        "site_count": form.site_count,
        "sheets": [sheet_document(sheet) for sheet in form.sheets],
    }


def sheet_document(sheet: Sheet) -> dict[str, object]:
    change = sheet.change
    return {
        "choice": sheet.choice,
        "site_number": sheet.site_number or None,
        "site_code": sheet.site.site_code if sheet.site else None,
        "t_co2": optional(change.this_year),
        "previous_year_t_co2": optional(change.previous_year),
        "change_t_co2": decimal_text(change.change),
        "breakdown": [
            {
                "legal_category": group.category.value,
                "kind": group.kind.value if group.kind else None,
                "label": group.label,
                "units": group.units,
                "t_co2": decimal_text(group.t_co2),
                "share_percent": percent_text(sheet.breakdown.share_percent(group), 2) or None,
                "by_refrigerant": [
                    {
                        "refrigerant": line.refrigerant, "units": line.units,
                        "charge_kg": decimal_text(line.charge_kg), "leaked_kg": optional(line.leaked_kg),
                        "t_co2": optional(line.t_co2),
                        "leak_rate_percent": percent_text(line.leak_rate_percent, 2) or None,
                    }
                    for line in group.lines
                ],
            }
            for group in sheet.breakdown.groups
        ],
    }  # fmt: skip


def optional(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)
