"""Kyoto's HFC report (別記第17号の2様式, REGULATION.md (m4)) printed on A4 portrait in Japanese: the reporter, the
unit counts and kg per type, the written parts (STEP4–6 and special notes) as boxes to fill in by hand, and how
the figures differ from the national calculated leakage (m6). Pure: the caller passes the report and the date."""

from __future__ import annotations

from datetime import date

from fpdf.fonts import FontFace

from compliance.leakage import fiscal_year_bounds
from compliance.pdf import HEADING_FILL, JapaneseForm
from compliance.reports.form1_pdf import boxes, remark, section
from compliance.reports.kyoto import (
    ADDRESSEE,
    DIFFERENCES_FROM_NATIONAL,
    FORM_NAME,
    HEADER,
    TITLE,
    KyotoReport,
    kyoto_rows,
)

SCOPE = "京都府内に設置された第一種特定製品のうち代替フロン(HFC)を使用するもの"  # REGULATION.md (m2)
WRITTEN_PARTS = (
    ("フロン類の漏えい防止のための管理体制(使用時・廃棄時)", 22),
    ("実施した漏えい防止の取組(使用時・廃棄時)", 22),
    ("ノンフロン製品・低GWP製品の導入方針", 16),
    ("特記事項", 12),
)  # (m4) STEP4, STEP5, STEP6 and the special notes: box heights in mm


def counts_table(pdf: JapaneseForm, report: KyotoReport) -> None:
    """STEP2 and STEP3 (m4): the type, then the counts and kg right-aligned."""
    pdf.set_font(size=8)
    heading = FontFace(emphasis=None, fill_color=HEADING_FILL)
    with pdf.table(col_widths=(26, 24, 20, 20, 24, 38, 38), text_align=("LEFT", *("RIGHT",) * 6),
                   headings_style=heading, line_height=4.6) as table:  # fmt: skip
        header = table.row()
        for title in HEADER:
            header.cell(title.replace("の保有", "の\n保有"), align="C")
        for row in kyoto_rows(report):
            table.row(row)
    pdf.ln(1)


def kyoto_pdf(report: KyotoReport, printed_on: date) -> bytes:
    pdf = JapaneseForm(f"{TITLE} {report.company} {report.fiscal_year}年度", printed_on)
    pdf.add_page()
    pdf.set_font(size=8)
    pdf.cell(0, 4, FORM_NAME, new_x="LMARGIN", new_y="NEXT")
    pdf.heading(TITLE)
    first, last = fiscal_year_bounds(report.fiscal_year)
    boxes(pdf, [
        ("宛先", ADDRESSEE), ("報告年月日", ""),
        ("住所(主たる事務所の所在地)", ""), ("氏名(名称及び代表者の氏名)", report.company),
    ])  # fmt: skip
    period = f"{report.fiscal_year}年度({first:%Y年%m月%d日}〜{last:%Y年%m月%d日})"
    boxes(pdf, [("対象年度", period), ("対象の機器", SCOPE)], per_row=1)
    section(pdf, "1 代替フロンを使用する第一種特定製品の台数・2 代替フロンの充填量及び回収量")
    counts_table(pdf, report)
    # REGULATION.md (m4): what each count and amount holds, and the rounding
    remark(pdf, "台数:年度当初=4月1日(当日の設置・廃棄の前)、年度末=3月31日(当日の設置・廃棄の後)の保有台数。"
             "整備台数=年度内に代替フロンを充填(設置時を含む)又は整備時に回収した台数。"
             "充填量=充填証明書の合計(設置時を含む)、回収量=回収証明書及び引取証明書の合計。"
             "kgは小数第二位を四捨五入。", size=7)  # fmt: skip
    pdf.ln(3)
    for title, height in WRITTEN_PARTS:
        section(pdf, title)
        pdf.cell(0, height, "", border=1, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    remark(pdf, "※ 空欄は本システムが保持していない情報です。提出前に記入してください。", size=7.5)
    pdf.ln(2)
    section(pdf, "参考: 国の算定漏えい量報告(フロン排出抑制法)との違い")
    for line in DIFFERENCES_FROM_NATIONAL:
        remark(pdf, f"・{line}", size=7.5)
    return pdf.to_bytes()
