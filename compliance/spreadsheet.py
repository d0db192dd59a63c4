"""XLSX workbooks (openpyxl) for what managers open in Excel: one sheet per dataset, header row frozen."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook

Sheet = tuple[Sequence[str], Sequence[Sequence[object]]]  # header, rows


def workbook(sheets: Mapping[str, Sheet]) -> bytes:
    """An XLSX workbook with one sheet per title, in order, each a header row (frozen) and its rows."""
    book = Workbook()
    for n, (title, (header, rows)) in enumerate(sheets.items()):
        sheet = book.active if n == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
