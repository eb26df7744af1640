"""CSV, XLSX (two-row merged header) and GBK variants of the sample give the same records."""
from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.parsing import parse_file
from tests.tables import SAMPLE, write_csv, write_gbk_markdown, write_xlsx


def essence(dept):
    """Everything but where the rows stand."""
    return (dept.name, dept.total, [
        (u.name, u.amount, [(p.name, p.total, p.fiscal, p.special, p.other, p.goal, p.withheld,
                             [i.to_dict() for i in p.indicators]) for p in u.projects])
        for u in dept.units])


@pytest.fixture(scope="module")
def reference():
    return essence(parse_file(SAMPLE))


def test_csv_gives_the_same_records(tmp_path, reference):
    assert essence(parse_file(write_csv(tmp_path / "t.csv"))) == reference


def test_csv_in_gbk_is_detected(tmp_path, reference):
    assert essence(parse_file(write_csv(tmp_path / "t.csv", encoding="gbk"))) == reference


def test_csv_with_utf8_bom_is_read(tmp_path, reference):
    assert essence(parse_file(write_csv(tmp_path / "t.csv", encoding="utf-8-sig"))) == reference


def test_xlsx_with_merged_two_row_header_gives_the_same_records(tmp_path, reference):
    dept = parse_file(write_xlsx(tmp_path / "t.xlsx"))
    assert essence(dept) == reference
    first = next(dept.projects())
    assert first.source.sheet == "绩效目标表" and first.source.line == 6  # 部门名称, two header rows, 合计, unit row


def test_gbk_markdown_gives_the_same_records(tmp_path, reference):
    assert essence(parse_file(write_gbk_markdown(tmp_path / "t.md"))) == reference


def test_wrong_encoding_override_says_what_to_try(tmp_path):
    path = write_gbk_markdown(tmp_path / "t.md")
    with pytest.raises(InputError, match="--encoding"):
        parse_file(path, encoding="utf-8")


def test_encoding_override_is_used(tmp_path, reference):
    assert essence(parse_file(write_gbk_markdown(tmp_path / "t.md"), encoding="gbk")) == reference
