"""Printed forms in Japanese: A4 pages with Noto Sans CJK JP embedded (as a subset of the glyphs used), so a
form reads the same on any machine, whatever fonts it has. Layout only; the callers pass the rows and the date
printed, nothing here reads a clock or a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

import noto_cjk_sans_jp_regular
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT = "NotoSansCJKjp"
FONT_FILE = Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf"
HEADING_FILL = (228, 232, 238)
MUTED = (120, 120, 120)


class JapaneseForm(FPDF):
    """An A4 document in the Japanese font, with ``title`` and the page number in the footer of each page."""

    def __init__(self, title: str, printed_on: date, *, landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.form_title = title
        self.printed_on = printed_on
        self.add_font(FONT, fname=str(FONT_FILE))
        self.set_font(FONT, size=9)
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=12)
        self.set_title(title)
        self.set_creator("fluorowatch")
        self.set_creation_date(datetime.combine(printed_on, time(), UTC))  # the same rows give the same bytes

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.form_title} — {self.printed_on.isoformat()} 出力 — {self.page_no()} / {{nb}}",
                  align="C")  # fmt: skip
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 14) -> None:
        self.set_font(FONT, size=size)
        self.cell(0, size * 0.6, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_font(FONT, size=9)

    def key_values(
        self, pairs: Sequence[tuple[str, str]], per_row: int = 3, size: float = 8, label_width: float = 1
    ) -> None:
        """Label/value pairs, ``per_row`` pairs to a row, labels shaded; a value is twice as wide as a label
        unless ``label_width`` says otherwise."""
        self.set_font(FONT, size=size)
        widths = [label_width, 2] * per_row
        with self.table(col_widths=widths, first_row_as_headings=False, line_height=size * 0.55) as table:
            for start in range(0, len(pairs), per_row):
                row = table.row()
                for label, value in pairs[start : start + per_row]:
                    row.cell(label, style=FontFace(fill_color=HEADING_FILL))
                    row.cell(value)
        self.ln(3)

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], size: float = 7,
        muted_rows: frozenset[int] = frozenset(),
    ) -> None:  # fmt: skip
        """A table with ``header`` repeated on every page; rows whose index is in ``muted_rows`` print grey."""
        self.set_font(FONT, size=size)
        heading = FontFace(emphasis=None, fill_color=HEADING_FILL)
        muted = FontFace(color=MUTED)
        with self.table(col_widths=tuple(widths), headings_style=heading, line_height=size * 0.55,
                        repeat_headings=1) as table:  # fmt: skip
            table.row(list(header))
            for n, cells in enumerate(rows):
                table.row(list(cells), style=muted if n in muted_rows else None)
        self.ln(2)

    def note(self, text: str, size: float = 7) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")

    def to_bytes(self) -> bytes:
        return bytes(self.output())
