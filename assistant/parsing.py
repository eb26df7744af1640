"""Read 项目支出绩效目标表 sources (Markdown pipe tables, CSV, XLSX) into typed records.

A table has the columns 项目名称（资金使用单位）| 总计 | 财政拨款 | 财政专户拨款 | 其他资金 | 绩效目标 |
绩效指标. Between the project rows stand a 合计 row and unit rows (a name and an amount with no goal
and no indicators: the first is the department's own unit). The header may repeat mid-document.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import InputError
from .indicators import parse_indicators
from .records import Department, Project, Source, Unit

SUFFIXES = {".md", ".markdown", ".txt", ".csv", ".xlsx", ".xlsm"}

# column key -> header words that name it (compared after NFKC and removing spaces)
_COLUMNS = {
    "name": ("项目名称", "资金使用单位", "项目(单位)名称", "单位名称"),
    "total": ("总计", "合计金额", "预算金额", "项目金额"),
    "fiscal": ("财政拨款",),
    "special": ("财政专户拨款", "财政专户"),
    "other": ("其他资金", "其他"),
    "goal": ("绩效目标", "年度绩效目标"),
    "indicators": ("绩效指标", "年度绩效指标"),
}
_TOTAL_NAMES = {"合计", "总计", "总合计"}
_DEPARTMENT = re.compile(r"(?:部门|单位)名称\s*[:：]\s*([^\s|，,]+)")
_YEAR = re.compile(r"(20\d{2})")


@dataclass
class RawRow:
    """One table row as cells keyed by column, with its location."""

    cells: dict[str, str]
    source: Source


def norm(text: str) -> str:
    """NFKC and no white space: the form in which header words and names are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def decode(data: bytes, document: str, encoding: str | None = None) -> str:
    """Bytes to text: ``encoding`` if given, else UTF-8 (with or without BOM), else GB18030."""
    if b"\x00" in data[:4096]:
        raise InputError(f"{document}: this is a binary file, not a table; give a .md, .csv or .xlsx file")
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as err:
            raise InputError(f"{document}: cannot decode as {encoding} ({err.__class__.__name__}); try another --encoding") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{document}: cannot tell the text encoding; try --encoding=gbk or --encoding=utf-8")


def _column_keys(cells: list[str]) -> dict[int, str]:
    """Column index -> column key for every cell that names a known column."""
    found: dict[int, str] = {}
    for i, cell in enumerate(cells):
        c = norm(cell)
        # the longest header word inside the cell wins (财政专户拨款 over 财政拨款, 其他资金 over 其他)
        hits = [(len(w), key) for key, words in _COLUMNS.items() for w in words if w in c]
        if hits:
            key = max(hits)[1]
            if key not in found.values():
                found[i] = key
    return found


def _header_map(cells: list[str]) -> dict[int, str] | None:
    """Column index -> column key when ``cells`` is a header row (has a name and a 总计 column)."""
    found = _column_keys(cells)
    return found if {"name", "total"} <= set(found.values()) else None


def _rows_from_grid(grid: list[tuple[list[str], Source]], document: str) -> list[RawRow]:
    """Table rows under each header found in a grid of cell lists."""
    rows: list[RawRow] = []
    header: dict[int, str] | None = None
    for k, (cells, source) in enumerate(grid):
        mapping = _header_map(cells)
        if mapping:
            header = _merge_subheader(mapping, grid[k + 1][0] if k + 1 < len(grid) else [])
            continue
        if header is None or not any(c.strip() for c in cells):
            continue
        if all(re.fullmatch(r"\s*:?-{2,}:?\s*", c) or not c.strip() for c in cells):
            continue  # Markdown separator row
        if _is_subheader(cells):
            continue
        rows.append(RawRow({key: (cells[i] if i < len(cells) else "").strip() for i, key in header.items()}, source))
    if header is None:
        raise InputError(
            f"{document}: no table header with 项目名称 and 总计 columns; is this a 项目支出绩效目标表?"
        )
    return rows


def _is_subheader(cells: list[str]) -> bool:
    words = {w for ws in _COLUMNS.values() for w in ws}
    hits = [c for c in cells if norm(c) in words]
    return len(hits) >= 2 and not any(_looks_numeric(c) for c in cells)


def _merge_subheader(mapping: dict[int, str], below: list[str]) -> dict[int, str]:
    """A header over two rows: the funding columns are named in the row below a merged 资金来源."""
    if not _is_subheader(below):
        return mapping
    merged = dict(mapping)
    for i, key in _column_keys(below).items():
        if key not in merged.values():
            merged[i] = key
    return merged


def _looks_numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,，]+(?:\.\d+)?", norm(cell)))


def _money(cell: str, source: Source, column: str) -> Decimal:
    """An amount in 万元; blank is zero; anything else non-numeric is an error naming the row."""
    c = norm(cell).replace(",", "").replace("，", "")
    if c in ("", "-", "—", "/"):
        return Decimal("0.00")
    try:
        return Decimal(c).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InputError(f"{source.label()}: the {column} amount {cell.strip()!r} is not a number; fix the cell and ingest again") from None


def markdown_grid(text: str, document: str) -> list[tuple[list[str], Source]]:
    """Pipe-table lines as cell lists with their 1-based line numbers."""
    grid = []
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if s.startswith("|"):
            cells = s.strip("|").split("|")
            grid.append(([c.strip() for c in cells], Source(document, n)))
    return grid


def csv_grid(text: str, document: str) -> list[tuple[list[str], Source]]:
    """CSV records as cell lists with the line each record starts on."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    grid, line = [], 1
    try:
        for cells in reader:
            grid.append((cells, Source(document, line)))
            line = reader.line_num + 1
    except csv.Error as err:
        raise InputError(f"{document}:{line}: not a readable CSV ({err}); check the quoting") from None
    return grid


def xlsx_grid(data: bytes, document: str) -> list[tuple[list[str], Source]]:
    """Rows of every sheet, merged cells filled from their top-left cell."""
    import openpyxl  # only XLSX needs it; keeps start-up light

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a bad file
        raise InputError(f"{document}: not a readable .xlsx workbook ({err.__class__.__name__}); re-save it from Excel") from None
    grid = []
    for sheet in book.worksheets:
        fill: dict[tuple[int, int], object] = {}
        for rng in sheet.merged_cells.ranges:
            top = sheet.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    fill[(r, c)] = top
        for r, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [fill.get((r, c), v) for c, v in enumerate(row, start=1)]
            grid.append(([_cell_text(v) for v in cells], Source(document, r, sheet.title)))
    return grid


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{Decimal(str(value)):.2f}" if value != int(value) else f"{int(value)}.00"
    if isinstance(value, int):
        return f"{value}.00"
    return str(value)


def parse_file(path: Path, encoding: str | None = None) -> Department:
    """Parse one source file into a :class:`Department`; raises :class:`InputError` with a reason."""
    document = path.name
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror}); check the path") from None
    if not data.strip():
        raise InputError(f"{document}: the file is empty; give a 项目支出绩效目标表")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid, text = xlsx_grid(data, document), ""
    elif suffix in SUFFIXES:
        text = decode(data, document, encoding)
        grid = csv_grid(text, document) if suffix == ".csv" else markdown_grid(text, document)
    else:
        raise InputError(f"{document}: unsupported file type {suffix or '(none)'}; give .md, .csv or .xlsx")
    preamble = text or " ".join(c for cells, _ in grid[:8] for c in cells)
    return build_department(_rows_from_grid(grid, document), document, preamble)


def build_department(rows: list[RawRow], document: str, preamble: str = "") -> Department:
    """Classify rows (合计, unit, project) and build the department tree."""
    dept_match = _DEPARTMENT.search(unicodedata.normalize("NFKC", preamble))
    year_match = _YEAR.search(document) or _YEAR.search(preamble)
    total = total_source = None
    units: list[Unit] = []
    for row in rows:
        name = row.cells.get("name", "").strip()
        if not name:
            continue
        amount = _money(row.cells.get("total", ""), row.source, "总计")
        goal = row.cells.get("goal", "").strip()
        ind_cell = row.cells.get("indicators", "").strip()
        if norm(name) in _TOTAL_NAMES:
            total, total_source = amount, row.source
            continue
        if not goal and not ind_cell:
            units.append(Unit(name=name, amount=amount, source=row.source))
            continue
        if not units:  # projects before any unit row belong to the department itself
            units.append(Unit(name=dept_match.group(1) if dept_match else Path(document).stem, amount=None, source=None))
        unit = units[-1]
        fiscal = _money(row.cells.get("fiscal", ""), row.source, "财政拨款")
        special = _money(row.cells.get("special", ""), row.source, "财政专户拨款")
        other = _money(row.cells.get("other", ""), row.source, "其他资金")
        withheld = "不宜公开" in goal or "不宜公开" in ind_cell
        unit.projects.append(Project(
            id=f"{document}#{row.source.sheet + '!' if row.source.sheet else ''}{row.source.line}",
            name=name, unit=unit.name, department="", total=amount, fiscal=fiscal, special=special,
            other=other, goal=goal, withheld=withheld,
            indicators=[] if withheld else parse_indicators(ind_cell),
            source=row.source, indicators_raw=ind_cell,
        ))
    if not any(u.projects for u in units):
        raise InputError(f"{document}: the table has no project rows (a name with a goal or indicators); is this a 项目支出绩效目标表?")
    department = dept_match.group(1) if dept_match else units[0].name
    for unit in units:
        for p in unit.projects:
            p.department = department
    return Department(
        name=department, document=document, year=int(year_match.group(1)) if year_match else None,
        total=total, total_source=total_source, units=units,
    )
