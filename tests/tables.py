"""Build test inputs from the sample: the same table as CSV, XLSX (two-row merged header) and GBK."""
from __future__ import annotations

import csv
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "index" / "sources" / "guangzhou_fao_2024_project_performance_targets.md"


def sample_rows() -> list[list[str]]:
    """The sample's table rows (header and separator rows excluded), as cell lists."""
    rows = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and "---" not in line and "总计" not in line:
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


HEADER = ["项目名称（资金使用单位）", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标"]


def write_csv(path: Path, encoding: str = "utf-8") -> Path:
    """The sample as CSV with a title and 部门名称 line above the header."""
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(["项目支出绩效目标表（含转移支付项目）"])
        w.writerow(["部门名称：中共广州市委外事工作委员会办公室"])
        w.writerow(HEADER)
        w.writerows(sample_rows())
    return path


def write_xlsx(path: Path) -> Path:
    """The sample as XLSX: a header over two rows (资金来源 merged over the three funding columns,
    the other header cells merged vertically) and amounts as numbers, the way Excel exports it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "绩效目标表"
    sheet.append(["部门名称：中共广州市委外事工作委员会办公室"])
    sheet.append(["项目名称（资金使用单位）", "总计", "资金来源", None, None, "绩效目标", "绩效指标"])
    sheet.append([None, None, "财政拨款", "财政专户拨款", "其他资金", None, None])
    for col in "ABFG":
        sheet.merge_cells(f"{col}2:{col}3")
    sheet.merge_cells("C2:E2")
    for cells in sample_rows():
        row: list[object] = []
        for k, c in enumerate(cells):
            row.append(float(c.replace(",", "")) if 1 <= k <= 4 and c else (c or None))
        sheet.append(row)
    book.save(path)
    return path


def write_gbk_markdown(path: Path) -> Path:
    """The sample Markdown re-encoded as GB18030."""
    path.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("gb18030"))
    return path


def write_markdown(path: Path, rows: list[list[str]], department: str = "测试部门") -> Path:
    """A small table in the sample's Markdown layout."""
    lines = [f"部门名称：{department}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
