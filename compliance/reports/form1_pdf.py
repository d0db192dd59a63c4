"""Form 1 (様式第1, REGULATION.md (g5)) printed on A4 portrait in Japanese: the front with the fields the system
holds filled in and the others as empty boxes to write in by hand, table 1, table 2, then one attachment with its
table 1 per specified site. Pure: the caller passes the form's dataset and the date printed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fpdf.fonts import FontFace

from compliance.leakage import SPECIFIED_T_CO2
from compliance.pdf import HEADING_FILL, JapaneseForm
from compliance.reports.form1 import (
    FORM_NAME,
    HAND_FILLED_NOTE,
    LEGAL_BASIS,
    TITLE,
    Attachment,
    Form1,
    Table1,
    number_text,
)

PAIRS_PER_BLOCK = 5  # (g5): columns ① … ⑤ per refrigerant, more in a further block
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
BOX_HEIGHT = 6.5  # mm: room to write by hand
LABEL_WIDTH, BOXES_WIDTH = 1.5, 7  # relative widths of a label and of a row of boxes


def form1_pdf(form: Form1, printed_on: date) -> bytes:
    pdf = JapaneseForm(document_title(form), printed_on)
    form1_pages(pdf, form)
    return pdf.to_bytes()


def document_title(form: Form1) -> str:
    return f"{TITLE} {form.company} {form.fiscal_year}年度"


def form1_pages(pdf: JapaneseForm, form: Form1) -> None:
    """The form's pages, added to ``pdf``: the front with tables 1 and 2, then one page per attachment."""
    pdf.add_page()
    front(pdf, form)
    section(pdf, "第1表 特定漏えい者の漏えい量")
    table1(pdf, form.table1)
    section(pdf, "第2表 特定事業所の一覧")
    table2(pdf, form)
    for sheet in form.attachments:
        pdf.add_page()
        attachment(pdf, form, sheet)


def front(pdf: JapaneseForm, form: Form1) -> None:
    pdf.set_font(size=8)
    pdf.cell(0, 4, FORM_NAME, new_x="LMARGIN", new_y="NEXT")
    pdf.heading(TITLE)
    remark(pdf, LEGAL_BASIS, size=8)
    pdf.ln(2)
    total = f"第1表、第2表及び別紙のとおり(事業者全体 {number_text(form.company_t_co2)} t-CO2、{form.period})"
    boxes(pdf, [
        ("報告年月日", ""), ("宛先(事業所管大臣)", ""),
        ("報告者の住所", ""), ("報告者の氏名(名称・代表者)", form.company),
        ("特定漏えい者コード(9桁)", ""), ("特定漏えい者の名称", form.company),
        ("特定漏えい者の住所(ふりがな)", ""), ("商標又は商号等", ""),
        ("主たる事業(産業分類の細分類)", ""), ("事業コード(4桁)", ""),
        ("主たる事業所管大臣", ""), ("その他の情報の提供(様式第2)", "1 有  /  2 無"),
    ])  # fmt: skip
    boxes(pdf, [("算定漏えい量", total), ("担当者(部署・氏名・電話番号・電子メール)", "")], per_row=1)
    remark(pdf, f"※ {HAND_FILLED_NOTE}")
    remark(pdf, f"※ 特定漏えい者(算定漏えい量{SPECIFIED_T_CO2:,} t-CO2以上): "
                f"{'該当' if form.specified_leaker else '非該当'}")  # fmt: skip
    pdf.ln(2)


def boxes(pdf: JapaneseForm, pairs: Sequence[tuple[str, str]], per_row: int = 2) -> None:
    """Labelled boxes tall enough to write in; a label is shaded, an empty value is a box to fill by hand."""
    pdf.set_font(size=8)
    label = FontFace(fill_color=HEADING_FILL)
    widths = (LABEL_WIDTH, BOXES_WIDTH / per_row - LABEL_WIDTH) * per_row  # labels line up whatever per_row
    with pdf.table(col_widths=widths, first_row_as_headings=False, line_height=BOX_HEIGHT,
                   text_align="LEFT") as table:  # fmt: skip
        for start in range(0, len(pairs), per_row):
            row = table.row()
            for name, value in pairs[start : start + per_row]:
                row.cell(name, style=label)
                row.cell(value)
    pdf.ln(3)


def remark(pdf: JapaneseForm, text: str, size: float = 7.5) -> None:
    """A line of small print, left-aligned (a justified line spreads Japanese text apart)."""
    pdf.set_font(size=size)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def section(pdf: JapaneseForm, text: str) -> None:
    pdf.set_font(size=10)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def table1(pdf: JapaneseForm, table: Table1) -> None:
    """Table 1 (g5): a column pair per refrigerant, five pairs to a block; the total closes the last block."""
    blocks = [range(i, min(i + PAIRS_PER_BLOCK, len(table.refrigerants)))
              for i in range(0, len(table.refrigerants), PAIRS_PER_BLOCK)] or [range(0)]  # fmt: skip
    for n, block in enumerate(blocks):
        table1_block(pdf, table, block, with_total=n == len(blocks) - 1)
    # REGULATION.md (g3): the form's rounding
    remark(pdf, "単位: 算定漏えい量 t-CO2、実漏えい量 kg。小数点以下切り捨て(1未満は0、回収のみのときは負の値)、"
                "充塡・回収のなかった欄は空欄。", size=7)  # fmt: skip
    pdf.ln(3)


def table1_block(pdf: JapaneseForm, table: Table1, block: range, *, with_total: bool) -> None:
    pdf.set_font(size=7.5)
    column = min(15, (pdf.epw - 8 - 30 - 17) / (2 * PAIRS_PER_BLOCK))
    widths = (8, 30, *(column,) * (2 * len(block)), *((17,) if with_total else ()))
    align = ("CENTER", "LEFT", *("RIGHT",) * (len(widths) - 2))
    heading = FontFace(emphasis=None, fill_color=HEADING_FILL)
    with pdf.table(col_widths=widths, text_align=align, headings_style=heading, num_heading_rows=2,
                   line_height=4.5, width=sum(widths), align="LEFT") as grid:  # fmt: skip
        top = grid.row()
        top.cell("番号", rowspan=2, align="C")
        top.cell("区分", rowspan=2, align="C")
        for i in block:
            top.cell(f"{CIRCLED[i]} {table.refrigerants[i]}", colspan=2, align="C")
        if with_total:
            top.cell("合計", align="C")
        sub = grid.row()
        for _ in block:
            sub.cell("算定\n(t-CO2)", align="C")
            sub.cell("実漏えい\n(kg)", align="C")
        if with_total:
            sub.cell("(t-CO2)", align="C")
        for row in table.rows:
            line = [row.number, row.label]
            line += [number_text(v) for i in block for v in (row.cells[i].t_co2, row.cells[i].kg)]
            grid.row([*line, *((number_text(row.total_t_co2),) if with_total else ())])
    pdf.ln(1)


def table2(pdf: JapaneseForm, form: Form1) -> None:
    """Table 2 (g5): the specified sites, numbered; each has its attachment. The business is written by hand."""
    rows = [[str(a.number), a.site.name, a.site.address, ""] for a in form.attachments] or [
        ["", "特定事業所なし" if form.specified_leaker else "特定漏えい者に該当しないため特定事業所なし", "", ""]
    ]
    pdf.grid(("特定事業所番号", "事業所の名称", "事業所の所在地", "事業の種類(事業コード・名称)"), rows,
             (22, 50, 70, 48), size=8)  # fmt: skip


def attachment(pdf: JapaneseForm, form: Form1, sheet: Attachment) -> None:
    """別紙 (g5): the specified site, and its table 1."""
    pdf.heading(f"別紙 特定事業所 {sheet.number}", size=12)
    site = sheet.site
    boxes(pdf, [
        ("事業所の名称", f"{site.name}({site.site_code})"), ("特定事業所番号", str(sheet.number)),
        ("事業所の名称(ふりがな)", ""), ("事業所の所在地", site.address),
        ("事業の種類(事業コード・名称)", ""), ("特定漏えい者コード(9桁)", ""),
        ("都道府県コード", site.prefecture_code), ("事業コード(4桁)", ""),
        ("特定漏えい者の名称", form.company), ("その他の情報の提供(様式第2)", "1 有  /  2 無"),
    ])  # fmt: skip
    total = number_text(sheet.table.rows[0].total_t_co2)
    boxes(pdf, [("算定漏えい量", f"別紙第1表のとおり({total} t-CO2、{form.period})"),
                ("担当者(部署・氏名・電話番号・電子メール)", "")], per_row=1)  # fmt: skip
    remark(pdf, f"※ {HAND_FILLED_NOTE}")
    pdf.ln(2)
    section(pdf, "別紙第1表 特定事業所の漏えい量")
    table1(pdf, sheet.table)
