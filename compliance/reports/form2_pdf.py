"""Form 2 (様式第2, the optional related information, REGULATION.md (g5)) printed on A4 portrait in Japanese: one
sheet for the whole specified leaker, then one per specified site, each with the header, the legal basis and the
five sections. The computed parts are filled in; the reasons, the measures and the leak causes are boxes for the
manager. Pure: the caller passes the dataset and the date printed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from fpdf.fonts import FontFace

from compliance.leakage import fiscal_year_bounds, form_kg, form_t_co2
from compliance.pdf import HEADING_FILL, MUTED, JapaneseForm
from compliance.reports.form1 import Form1, number_text
from compliance.reports.form1_pdf import boxes, document_title, form1_pages, remark, section
from compliance.reports.form2 import (
    CHOICE_COMPANY,
    FORM_NAME,
    LEAK_CAUSES,
    LEGAL_BASIS,
    MEASURES,
    TITLE,
    Breakdown,
    BreakdownGroup,
    Form2,
    Measure,
    Sheet,
    percent_text,
)

BOX, CHECKED = "□", "■"
HEADING = FontFace(emphasis=None, fill_color=HEADING_FILL)
CATEGORY_ROW = FontFace(fill_color=(242, 244, 247))
HAND_NOTE = "□ の選択、理由・取組の内容・漏えい要因の記入は管理者が行ってください。記入は任意です。"


def form2_pdf(form: Form2, printed_on: date) -> bytes:
    pdf = JapaneseForm(sheet_title(form), printed_on)
    form2_pages(pdf, form)
    return pdf.to_bytes()


def form1_with_form2_pdf(first: Form1, second: Form2, printed_on: date) -> bytes:
    """Form 1, then form 2's sheets attached to it (REGULATION.md (g5): form 2 goes with form 1)."""
    pdf = JapaneseForm(document_title(first), printed_on)
    form1_pages(pdf, first)
    form2_pages(pdf, second)
    return pdf.to_bytes()


def sheet_title(form: Form2) -> str:
    return f"{TITLE}(様式第2) {form.company} {form.fiscal_year}年度"


def form2_pages(pdf: JapaneseForm, form: Form2) -> None:
    """One page per sheet, added to ``pdf``; its footer names form 2."""
    for sheet in form.sheets:
        pdf.add_page()
        pdf.form_title = sheet_title(form)  # after add_page: the previous page's footer keeps its own title
        page(pdf, form, sheet)


def page(pdf: JapaneseForm, form: Form2, sheet: Sheet) -> None:
    pdf.set_font(size=8)
    pdf.cell(0, 4, FORM_NAME, new_x="LMARGIN", new_y="NEXT")
    pdf.heading(TITLE, size=13)
    remark(pdf, LEGAL_BASIS, size=8)
    pdf.ln(1)
    header(pdf, form, sheet)
    section(pdf, "1 算定漏えい量の増減の状況")
    change(pdf, form, sheet)
    section(pdf, "2 第一種特定製品の種類ごとの内訳")
    breakdown(pdf, sheet.breakdown)
    section(pdf, "3 漏えい量の削減のために実施した取組 ・ 4 今後実施する予定の取組")
    measures(pdf)
    section(pdf, "5 その他の情報")
    other(pdf, form, sheet)
    contact(pdf)


def header(pdf: JapaneseForm, form: Form2, sheet: Sheet) -> None:
    """(g5) header: provision year, choice 1/2, consent to publication, the codes and the site number."""
    company = sheet.choice == CHOICE_COMPANY
    scope = (f"{CHECKED if company else BOX} 1 特定漏えい者全体(1枚のみ)    "
             f"{BOX if company else CHECKED} 2 特定事業所のみ(事業所ごとに1枚)")  # fmt: skip
    pairs = [
        ("提供年度", f"{form.provision_year}年度({form.fiscal_year}年度の算定漏えい量について)"),
        ("提供する情報の範囲", scope),
        ("公表への同意", f"{BOX} 提供する情報が環境大臣及び経済産業大臣により公表されることに同意します"),
    ]
    if sheet.site is not None:
        pairs.append(("特定事業所", f"{sheet.site.name}({sheet.site.site_code}) {sheet.site.address}"))
    boxes(pdf, pairs, per_row=1)
    first, last = fiscal_year_bounds(form.fiscal_year)
    period = f"{first:%Y年%m月%d日}〜{last:%Y年%m月%d日}"
    boxes(pdf, [
        ("特定漏えい者の名称", form.company), ("特定漏えい者コード(9桁)", ""),
        ("都道府県コード(2桁)", sheet.site.prefecture_code if sheet.site else ""), ("事業コード(4桁)", ""),
        ("事業所番号(2桁)", sheet.site_number if sheet.site else "—(特定漏えい者全体)"), ("対象期間", period),
    ])  # fmt: skip


def change(pdf: JapaneseForm, form: Form2, sheet: Sheet) -> None:
    """Section 1: both years as the form rounds them (g3), the change, and a box for the reasons."""
    values = sheet.change
    percent = percent_text(values.change_percent)
    pdf.grid(
        (f"前年度({form.fiscal_year - 1}年度)", f"当年度({form.fiscal_year}年度)", "増減", "増減率"),
        [[t_co2_text(values.form_previous_year), t_co2_text(values.form_this_year),
          f"{values.form_change:+,} t-CO2", f"{Decimal(percent):+}%" if percent else "—"]],
        (47.5, 47.5, 47.5, 47.5), size=8,
    )  # fmt: skip
    written(pdf, "増減の理由", 12)


def t_co2_text(value: int | None) -> str:
    return "—(算定対象なし)" if value is None else f"{value:,} t-CO2"


def breakdown(pdf: JapaneseForm, table: Breakdown) -> None:
    """Section 2: a legal category's row, then its kinds (indented), one line per refrigerant."""
    pdf.set_font(size=7.5)
    widths = (40, 17, 12, 25, 22, 25, 17, 32)
    align = ("LEFT", "LEFT", *("RIGHT",) * 6)
    with pdf.table(col_widths=widths, text_align=align, headings_style=HEADING, line_height=4,
                   width=sum(widths)) as grid:  # fmt: skip
        top = grid.row()
        for title in ("区分", "冷媒", "台数", "初期充塡量\n合計(kg)", "実漏えい量\n(kg)", "算定漏えい量\n(t-CO2)",
                      "漏えい率\n(%)", "区分の算定漏えい量\n(t-CO2・割合)"):  # fmt: skip
            top.cell(title, align="C")
        for group in table.groups:
            style = CATEGORY_ROW if group.kind is None else None
            label = group.label if group.kind is None else f"  {group.label}"
            share = percent_text(table.share_percent(group))
            for n, line in enumerate(group.lines):
                row = grid.row(style=style)
                if n == 0:
                    row.cell(label, rowspan=len(group.lines))
                row.cell(line.refrigerant)
                row.cell(f"{line.units:,}")
                row.cell(kg_text(line.charge_kg))
                row.cell(number_text(form_kg(line.leaked_kg)))
                row.cell(number_text(form_t_co2(line.t_co2)))
                row.cell(percent_text(line.leak_rate_percent))
                if n == 0:
                    row.cell(group_total(group, share), rowspan=len(group.lines))
        if not table.groups:
            grid.row(["該当する機器なし", "", "", "", "", "", "", ""])
    pdf.ln(1)
    # The counting rules: units held at the year's end; leakage of the year (g1); leak rate as in (k1).
    remark(pdf, "台数・初期充塡量: 年度末(3月31日)に保有する機器(銘板の冷媒・充塡量)。算定漏えい量・実漏えい量: "
                "年度中に廃棄した機器を含む当年度の値(小数点以下切り捨て)。漏えい率 = 実漏えい量 ÷ 初期充塡量 × 100"
                "(小数第2位を四捨五入)。割合 = 区分の算定漏えい量 ÷ 全体の算定漏えい量。", size=6.5)  # fmt: skip
    pdf.ln(2)


def group_total(group: BreakdownGroup, share: str) -> str:
    """The group's t-CO2 and its share; blank when none of its units leaked (g3)."""
    if all(line.t_co2 is None for line in group.lines):
        return ""
    return number_text(form_t_co2(group.t_co2)) + (f"({share}%)" if share else "")


def kg_text(value: Decimal) -> str:
    """A charge as registered, without trailing zeros: 50.000 → 50, 12.500 → 12.5."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measures(pdf: JapaneseForm) -> None:
    """Sections 3 and 4: the (g5) categories a–m in two halves side by side, each with a box for "taken" (3) and
    one for "planned" (4)."""
    pdf.set_font(size=7)
    half = (len(MEASURES) + 1) // 2
    columns = [measure_cells(MEASURES[:half]), measure_cells(MEASURES[half:])]
    columns[1] += [["", "", "", ""]] * (half - len(columns[1]))
    with pdf.table(col_widths=(24, 52, 9.5, 9.5) * 2, text_align=("LEFT", "LEFT", "CENTER", "CENTER") * 2,
                   headings_style=HEADING, line_height=3.8) as grid:  # fmt: skip
        grid.row(["区分", "取組", "3 実施", "4 予定"] * 2)
        for left, right in zip(*columns, strict=True):
            grid.row([*left, *right])
    pdf.ln(1)
    written(pdf, "取組の具体的な内容(任意)", 12)


def measure_cells(measures: Sequence[Measure]) -> list[list[str]]:
    """A row per category, the group named on its first row only."""
    rows, previous = [], ""
    for measure in measures:
        rows.append([measure.group if measure.group != previous else "", f"{measure.code} {measure.text}", BOX, BOX])
        previous = measure.group
    return rows


def other(pdf: JapaneseForm, form: Form2, sheet: Sheet) -> None:
    """Section 5: the number of sites (company sheet) and the main leak causes (ア)–(カ), chosen by hand."""
    if sheet.choice == CHOICE_COMPANY:
        # (g5): all sites at the end of the fiscal year; a site as (g2) defines it
        boxes(pdf, [("事業所数(年度末)", f"{form.site_count:,} 事業所(内訳: )")], per_row=1)
    pdf.set_font(size=7.5)
    with pdf.table(col_widths=(62, 33, 62, 33), headings_style=HEADING, line_height=4.2) as grid:
        grid.row(["主な漏えい要因", "漏えい量(t-CO2)", "主な漏えい要因", "漏えい量(t-CO2)"])
        for start in range(0, len(LEAK_CAUSES), 2):
            row = grid.row()
            for code, cause in LEAK_CAUSES[start : start + 2]:
                row.cell(f"{BOX} ({code}) {cause}")
                row.cell("")
    pdf.ln(1)
    written(pdf, "要因の具体的な内容(任意)", 10)


def contact(pdf: JapaneseForm) -> None:
    boxes(pdf, [("担当者の部署(ふりがな)", ""), ("氏名・電話番号", "")])
    pdf.set_text_color(*MUTED)
    remark(pdf, f"※ 受理年月日・処理年月日は記入しないでください。{HAND_NOTE}", size=6.5)
    pdf.set_text_color(0, 0, 0)


def written(pdf: JapaneseForm, title: str, height: float) -> None:
    """A box to write in, its title in the top left corner."""
    pdf.set_font(size=7)
    x, y = pdf.get_x(), pdf.get_y()
    pdf.cell(0, height, "", border=1)
    pdf.set_xy(x + 1, y + 0.8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 3, title)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x, y + height)
    pdf.ln(2)
