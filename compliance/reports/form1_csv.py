"""Form 1's tables as CSV for Excel (UTF-8 with BOM): table 1, table 2, then each attachment's table 1, one block
after the other, each headed by its name; cells rounded as the form is (REGULATION.md (g3)), blank where nothing
counted."""

from __future__ import annotations

import csv
import io

from compliance.reports.form1 import COMPANY_ROW, FORM_NAME, TITLE, Form1, Table1, number_text


def table1_header(table: Table1) -> list[str]:
    pairs = [f"{r} {unit}" for r in table.refrigerants for unit in ("算定漏えい量(t-CO2)", "実漏えい量(kg)")]
    return ["番号", "区分", *pairs, "合計(t-CO2)"]


def table1_rows(table: Table1) -> list[list[str]]:
    return [
        [row.number, row.label, *(number_text(v) for c in row.cells for v in (c.t_co2, c.kg)),
         number_text(row.total_t_co2)]
        for row in table.rows
    ]  # fmt: skip


def table2_rows(form: Form1) -> list[list[str]]:
    """Table 2 (g5): the specified sites; the business carried on there is written by hand."""
    return [[str(a.number), a.site.name, a.site.address, ""] for a in form.attachments]


def form1_csv(form: Form1) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[FORM_NAME, TITLE], ["事業者", form.company], ["漏えい年度", form.period],
                      ["特定漏えい者", "該当" if form.specified_leaker else "非該当"],
                      [f"{COMPANY_ROW}の算定漏えい量(t-CO2)", number_text(form.company_t_co2)], []])  # fmt: skip
    writer.writerows([["第1表 特定漏えい者の漏えい量"], table1_header(form.table1), *table1_rows(form.table1), []])
    writer.writerows([["第2表 特定事業所の一覧"], ["特定事業所番号", "事業所の名称", "事業所の所在地", "事業の種類"],
                      *table2_rows(form), []])  # fmt: skip
    for a in form.attachments:
        writer.writerows([[f"別紙 特定事業所 {a.number}: {a.site.name}({a.site.site_code})", a.site.address],
                          ["都道府県コード", a.site.prefecture_code], table1_header(a.table), *table1_rows(a.table),
                          []])  # fmt: skip
    return "\ufeff" + out.getvalue()
