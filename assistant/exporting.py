"""Turning an answer's cited rows and figures into a download: CSV or an XLSX workbook.

CSV is UTF-8 with a BOM (so Excel shows the Chinese text) and holds the rows only; the workbook
has the rows (amounts as numbers), the figures with their expressions and the question, each on
its own sheet. Text that a spreadsheet would read as a formula (a leading ``=``, ``+``, ``-``,
``@``, tab or carriage return) is written with a leading apostrophe, so a cell never computes.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# the formats offered, with the media type each is served as
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# column headers of the rows (CSV and the first sheet), by answer language
HEADERS = {
    "zh": ["序号", "项目名称", "资金使用单位", "金额（万元）", "匹配的绩效指标", "来源文件", "行号"],
    "en": ["No.", "Project", "Unit", "Amount (万元)", "Matched indicators", "Source document", "Line"],
}
# column headers of the figures sheet
FIGURE_HEADERS = {"zh": ["项目", "数值", "单位", "算式"], "en": ["Figure", "Value", "Unit", "Expression"]}
# a cell starting with one of these would be read as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class SourceIn(BaseModel):
    """Where a row stands."""

    document: str = Field(max_length=500)
    line: int = Field(ge=0)
    sheet: str | None = Field(default=None, max_length=200)


class ExportRow(BaseModel):
    """One cited row of the contract."""

    project: str = Field(max_length=1000)
    unit: str = Field(default="", max_length=500)
    total: str = Field(max_length=40)
    source: SourceIn
    matched: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("total")
    @classmethod
    def _decimal(cls, value: str) -> str:
        """Accept only a decimal amount (it becomes a number in the workbook)."""
        try:
            Decimal(value)
        except InvalidOperation:
            raise ValueError("total must be a decimal amount such as 120.00") from None
        return value


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as text (a leading = + - @ would start a formula)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _row_values(n: int, row: ExportRow, language: str) -> list[Any]:
    """One export line: number, project, unit, amount, matched indicators, document, line."""
    sep = "；" if language == "zh" else "; "
    document = f"{row.source.document}!{row.source.sheet}" if row.source.sheet else row.source.document
    return [n, safe_text(row.project), safe_text(row.unit), Decimal(row.total),
            safe_text(sep.join(row.matched)), safe_text(document), row.source.line]


def rows_csv(rows: list[ExportRow], language: str) -> bytes:
    """CSV in UTF-8 with a BOM, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS[language])
    for n, row in enumerate(rows, 1):
        writer.writerow(_row_values(n, row, language))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def rows_xlsx(rows: list[ExportRow], figures: list[dict[str, str]], language: str, question: str) -> bytes:
    """A workbook: the rows (amounts as numbers), then the figures with their formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "行" if language == "zh" else "Rows"
    _fill(sheet, HEADERS[language], [_row_values(n, r, language) for n, r in enumerate(rows, 1)])
    for cell in sheet["D"][1:]:
        cell.number_format = "#,##0.00"
    if figures:
        values = [[safe_text(f.get("label", "")), _number_or_text(f.get("value", "")), f.get("unit", ""),
                   safe_text(f.get("expression", ""))] for f in figures]
        _fill(book.create_sheet("计算" if language == "zh" else "Figures"), FIGURE_HEADERS[language], values)
    if question:
        ask = book.create_sheet("问题" if language == "zh" else "Question")
        ask.append([safe_text(question)])
        ask["A1"].font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: "Worksheet", header: list[str], lines: list[list[Any]]) -> None:
    """Write a bold header and the lines, every text cell as text (never a formula)."""
    from openpyxl.styles import Font

    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(line)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        longest = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, longest * 1.6))


def _number_or_text(value: str) -> Decimal | str:
    """A figure's value as a number when it is one (20.0% stays text)."""
    try:
        return Decimal(value)
    except InvalidOperation:
        return value


def export_file(kind: str, rows: list[ExportRow], figures: list[dict[str, str]], language: str,
                question: str) -> tuple[bytes, str]:
    """The export's bytes and file name: ``kind`` is csv (rows only) or xlsx; a ``language``
    other than zh or en gets English headers."""
    language = language if language in HEADERS else "en"
    if kind == "csv":
        return rows_csv(rows, language), "answer-rows.csv"
    return rows_xlsx(rows, figures, language, question), "answer-rows.xlsx"
