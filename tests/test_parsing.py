"""Parsing the sample: structure, totals, and every indicator's comparator / value / unit."""
from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.indicators import parse_target, split_indicators
from assistant.parsing import parse_file
from assistant.validation import validate
from tests.tables import SAMPLE


@pytest.fixture(scope="module")
def dept():
    return parse_file(SAMPLE)


def test_sample_has_17_projects_and_59_indicators(dept):
    projects = list(dept.projects())
    assert len(projects) == 17
    assert sum(len(p.indicators) for p in projects) == 59


def test_totals_reconcile_4005_30_3763_30_242_00(dept):
    assert dept.total == Decimal("4005.30")
    assert [(u.name, u.amount, len(u.projects)) for u in dept.units] == [
        ("中共广州市委外事工作委员会办公室", Decimal("3763.30"), 14),
        ("广州对外交流发展中心", Decimal("242.00"), 3),
    ]
    assert sum(p.total for p in dept.projects()) == Decimal("4005.30")
    report = validate(dept)
    assert [f.check for f in report.warnings] == ["numbering"]


def test_department_and_year_come_from_the_document(dept):
    assert dept.name == "中共广州市委外事工作委员会办公室"
    assert dept.year == 2024


def test_two_rows_named_jigou_yunxing_stay_distinct(dept):
    rows = [p for p in dept.projects() if p.name == "机构运行辅助经费"]
    assert [(p.unit, p.total) for p in rows] == [
        ("中共广州市委外事工作委员会办公室", Decimal("160.00")),
        ("广州对外交流发展中心", Decimal("41.00")),
    ]
    assert rows[0].id != rows[1].id


def test_rows_are_located_by_document_line(dept):
    p = next(p for p in dept.projects() if p.name == "广州外事宣传项目")
    assert (p.source.document, p.source.line) == ("guangzhou_fao_2024_project_performance_targets.md", 19)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    for project in dept.projects():
        assert project.name in lines[project.source.line - 1]


def test_withheld_projects_have_no_indicators(dept):
    withheld = [(p.name, p.total) for p in dept.projects() if p.withheld]
    assert withheld == [("13300101专项经费", Decimal("150.00")), ("13300102专项经费", Decimal("651.00"))]
    assert all(not p.indicators for p in dept.projects() if p.withheld)


def test_numbering_is_kept_as_written(dept):
    p = next(p for p in dept.projects() if p.name == "外事业务专项经费")
    assert [i.number for i in p.indicators] == ["1", "1", "2", "3", "4", "5"]
    friendly = p.indicators[3]
    assert (friendly.category, friendly.name, friendly.target) == (None, "友好城区", "不少于50个")


# every indicator of the sample: (project, number, category, name, comparator, value, unit, quantified)
EXPECTED = [
    ("因公出国（境）经费", "1", "效益", "广州国际影响力", None, None, None, False),
    ("因公出国（境）经费", "2", "产出", "全年出访国家或地区数量", "≥", "20", "个", True),
    ("因公出国（境）经费", "3", "产出", "全年计划因公出访团组批次", "≥", "18", "批次", True),
    ("因公出国（境）经费", "4", "效益", "国际友城数量", "≥", "105", "个", True),
    ("机构运行辅助经费", "1", "质量", "机构运行状态", None, None, None, False),
    ("机构运行辅助经费", "2", "满意度", "服务对象满意度", "≥", "95", "%", True),
    ("时代地产业务管理运行经费", "1", "产出", "为开展护照签证工作保障的时代地产业务面积", "=", "993.62", "平方米", True),
    ("时代地产业务管理运行经费", "2", "产出", "办理APEC商务旅行卡", "≥", "900", "人次", True),
    ("时代地产业务管理运行经费", "3", "满意度", "办理因公出访业务满意度", "≥", "95", "%", True),
    ("时代地产业务管理运行经费", "4", "效益", "完成因公出国（境）各项管理和服务业务及时率", "≥", "98", "%", True),
    ("外事业务专项经费", "1", "产出", "完成翻译任务数量", "≥", "100", "次", True),
    ("外事业务专项经费", "1", "产出", "年度培训人员数量", "≥", "100", "人次", True),
    ("外事业务专项经费", "2", "产出", "审核审批因公临时出国赴港澳人次", "≥", "4000", "人次", True),
    ("外事业务专项经费", "3", None, "友好城区", "≥", "50", "个", True),
    ("外事业务专项经费", "4", "产出", "国际友城数量", "≥", "105", "个", True),
    ("外事业务专项经费", "5", "效益", "广州国际营商环境", None, None, None, False),
    ("广州外事宣传项目", "1", "产出", "广州外事英文网运营天数", "=", "365", "天", True),
    ("广州外事宣传项目", "2", "质量", "广州外事英文网年度访问量", "≥", "600000", "次", True),
    ("广州外事宣传项目", "3", "产出", "“广州外事”微信公众号粉丝数量", "≥", "27000", "人", True),
    ("广州外事宣传项目", "4", "效益", "广州国际影响力", None, None, None, False),
    ("审计及内部控制项目", "1", "产出", "审计资金覆盖率", "=", "100", "%", True),
    ("审计及内部控制项目", "2", "效益", "廉政风险事件", "=", "0", None, True),
    ("审计及内部控制项目", "3", "产出", "审计资金规模", "≥", "8000", "万元", True),
    ("审计及内部控制项目", "4", "质量", "内部控制体系", None, None, None, False),
    ("审计及内部控制项目", "5", "产出", "审计单位数量", "=", "4", "个", True),
    ("全球市长论坛暨广州国际城市创新奖系列活动项目", "1", "产出", "第六届广州将获奖城市发放数量", "=", "5", "个", True),
    ("全球市长论坛暨广州国际城市创新奖系列活动项目", "2", "效益", "国际城市和组织对广州奖的认可度", None, None, None, False),
    ("全球市长论坛暨广州国际城市创新奖系列活动项目", "3", "效益", "广州城市国际影响力", None, None, None, False),
    ("全球市长论坛暨广州国际城市创新奖系列活动项目", "4", "质量", "参与广州奖评选的国家城市和地区数（个）", "≥", "650", "个", True),
    ("广州国际城市创新奖运行与管理服务项目", "1", "产出", "广州奖累计收录城市创新案例数量", "=", "1635", "个", True),
    ("广州国际城市创新奖运行与管理服务项目", "2", "产出", "拓展新的全球合作伙伴数量", "=", "3", "个", True),
    ("广州国际城市创新奖运行与管理服务项目", "3", "产出", "广州奖组织和参与的交流活动", "=", "3", "场", True),
    ("广州国际城市创新奖运行与管理服务项目", "4", "效益", "国际城市和组织对广州奖的认可度", None, None, None, False),
    ("广州市多语种公共服务平台项目", "1", "产出", "960169多语种服务平台每年正常服务天数", "=", "365", "天", True),
    ("广州市多语种公共服务平台项目", "2", "质量", "平台投诉率", "≤", "1", "%", True),
    ("广州市多语种公共服务平台项目", "3", "满意度", "服务对象满意度", "≥", "90", "%", True),
    ("广州市多语种公共服务平台项目", "4", "产出", "多语种服务平台联动服务部门数量", "≥", "40", "个", True),
    ("广州国际交流合作中心运行与管理服务项目", "1", "产出", "举办联络引进和各项交流活动", "=", "50", "次", True),
    ("广州国际交流合作中心运行与管理服务项目", "2", "效益", "广州城市国际影响力", None, None, None, False),
    *[(f"中共广州市委外事工作委员会办公室{y}年信息化运维项目", n, c, name, op, v, u, True)
      for y in ("2023-2024", "2024-2025")
      for n, c, name, op, v, u in (("1", "效益", "安全事故发生次数（次）", "=", "0", "起"), ("2", "产出", "响应及时率", "≥", "95", "%"),
                                   ("3", "产出", "修复及时率", "≥", "95", "%"), ("4", "满意度", "用户满意度", "≥", "90", "%"))],
    ("驻外办事处项目", "1", "产出", "广州市驻外办事处设立数量", "=", "4", "个", True),
    ("驻外办事处项目", "2", "产出", "拜访机构和高端人才", "≥", "72", "家次", True),
    ("驻外办事处项目", "3", "经济效益", "提交合作线索", "≥", "30", "个", True),
    ("驻外办事处项目", "4", "产出", "开展宣传推广场次", "≥", "6", "场", True),
    ("驻外办事处项目", "5", "产出", "签署合作意向", "≥", "12", "个", True),
    ("驻外办事处项目", "6", "效益", "广州国际影响力", None, None, None, False),
    ("机构运行辅助经费", "1", "质量", "机构运行状态", None, None, None, False),
    ("机构运行辅助经费", "2", "满意度", "服务对象满意度", "≥", "95", "%", True),
    ("发展中心涉外专项经费", "1", "满意度", "服务对象投诉次数", "≤", "5", "%", True),
    ("发展中心涉外专项经费", "2", "质量", "服务及时性", "=", "100", "%", True),
    ("发展中心涉外专项经费", "3", "效益", "外国人来华工作和企业走出去对外交往便利度", None, None, None, False),
    ("发展中心涉外专项经费", "4", "产出", "办理邀请外国人来华、领事认证、APEC商务旅行卡人次", "≥", "1000", "人次", True),
]


def test_every_indicator_of_the_sample_parses(dept):
    got = [(p.name, i.number, i.category, i.name, i.comparator, None if i.value is None else str(i.value), i.unit, i.quantified)
           for p in dept.projects() for i in p.indicators]
    assert len(EXPECTED) == 59
    assert got == EXPECTED


@pytest.mark.parametrize("target, expected", [
    ("不少于100次翻译任务", ("≥", "100", "次")),
    ("≤1%", ("≤", "1", "%")),
    ("2.7万人以上", ("≥", "27000", "人")),
    ("不高于办证总数的5%", ("≤", "5", "%")),
    ("0起", ("=", "0", "起")),
    ("20个及以上", ("≥", "20", "个")),
    ("不少于五十个", ("≥", "50", "个")),
    ("超过3场", (">", "3", "场")),
    ("低于2%", ("<", "2", "%")),
    ("10天以内", ("≤", "10", "天")),
    ("≥650个", ("≥", "650", "个")),
])
def test_targets_parse_to_comparator_value_unit(target, expected):
    op, value, unit = parse_target(target)
    assert (op, str(value), unit) == expected


@pytest.mark.parametrize("target", ["不断提升", "稳步上升", "平稳有序运转", "逐年提升", ""])
def test_word_targets_are_not_quantified(target):
    assert parse_target(target) == (None, None, None)


def test_indicator_cell_splits_on_numbers_not_decimals():
    parts = split_indicators("1、产出指标：粉丝数量，年度指标值：2.7万人以上。2、质量指标：访问量，年度指标值：60万次以上。")
    assert [n for n, _ in parts] == ["1", "2"]
    assert parts[0][1].endswith("2.7万人以上")
