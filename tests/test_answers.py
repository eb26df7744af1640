"""Answer behaviour: language, citations, follow-ups, not_found, numeric semantics."""
from __future__ import annotations

from decimal import Decimal

from assistant.conversation import Conversation
from assistant.errors import QuestionError

import pytest


def names(answer):
    return sorted((r.project.name, str(r.project.total)) for r in answer.rows)


def test_answer_follows_the_question_language(assistant):
    assert assistant.ask("Which projects target 365 service days?").language == "en"
    zh = assistant.ask("哪些项目的年度指标值是365天？")
    assert zh.language == "zh" and "合计 411.00 万元" in zh.text


def test_rows_are_cited_in_the_text_with_their_unit(assistant):
    answer = assistant.ask("机构运行辅助经费有多少？")
    assert "[1] 机构运行辅助经费（中共广州市委外事工作委员会办公室）— 160.00 万元" in answer.text
    assert "[2] 机构运行辅助经费（广州对外交流发展中心）— 41.00 万元" in answer.text


def test_every_cited_row_exists_at_its_source_line(assistant):
    from assistant.config import BUNDLED_SOURCES

    answer = assistant.ask("预算最高的三个项目是哪些？")
    for row in answer.to_json()["rows"]:
        path = BUNDLED_SOURCES / row["source"]["document"]
        line = path.read_text(encoding="utf-8").splitlines()[row["source"]["line"] - 1]
        assert row["project"] in line and row["total"] in line


def test_chinese_follow_up_sums_the_previous_rows(assistant):
    convo = Conversation()
    assistant.ask("满意度指标目标不低于95%的项目有哪些？", conversation=convo)
    answer = assistant.ask("它们合计多少？", conversation=convo)
    assert {f.value for f in answer.figures} == {"251.00"}
    assert len(answer.rows) == 3


def test_follow_up_narrows_previous_rows_by_unit(assistant):
    convo = Conversation()
    assistant.ask("Which projects aim for a satisfaction rate of at least 90%?", conversation=convo)
    answer = assistant.ask("Which of them belong to the development centre?", conversation=convo)
    assert names(answer) == [("机构运行辅助经费", "41.00")]


def test_new_question_in_a_conversation_is_not_taken_as_a_follow_up(assistant):
    convo = Conversation()
    assistant.ask("Which projects target 365 service days?", conversation=convo)
    answer = assistant.ask("What share of the total budget goes to projects that are not disclosed?", conversation=convo)
    assert names(answer) == [("13300101专项经费", "150.00"), ("13300102专项经费", "651.00")]


@pytest.mark.parametrize("question", [
    "2023年外办实际支出了多少钱？",
    "What is the budget of the Guangzhou Metro Line 22 extension project?",
    "外办有多少工作人员？",
    "广州市教育局的预算是多少？",
])
def test_questions_the_table_cannot_answer_are_not_found(assistant, question):
    answer = assistant.ask(question)
    assert answer.status == "not_found"
    assert answer.rows == [] and answer.figures == []


def test_not_found_explains_what_the_table_holds(assistant):
    text = assistant.ask("How many staff does the office have?").text
    assert "does not hold" in text and "performance indicators" in text


@pytest.mark.parametrize("question, expected", [
    ("Which projects aim for a satisfaction rate of more than 95%?", []),
    ("Which projects aim for a satisfaction rate of more than 90%?",
     [("时代地产业务管理运行经费", "50.00"), ("机构运行辅助经费", "160.00"), ("机构运行辅助经费", "41.00")]),
    ("List the projects with budgets under 41 (in 10,000 yuan).", [("发展中心涉外专项经费", "21.00"), ("审计及内部控制项目", "40.00")]),
    ("预算不超过41万元的项目有哪些？", [("发展中心涉外专项经费", "21.00"), ("审计及内部控制项目", "40.00"), ("机构运行辅助经费", "41.00")]),
])
def test_strict_and_inclusive_comparisons(assistant, question, expected):
    assert names(assistant.ask(question)) == sorted(expected)


def test_share_is_given_to_two_decimals_with_its_formula(assistant):
    answer = assistant.ask("What share of the total budget goes to projects that are not disclosed?")
    share = next(f for f in answer.figures if f.unit == "%")
    assert (share.value, share.expression) == ("20.00", "801.00 ÷ 4005.30 × 100")


def test_figures_are_decimal_sums_over_all_matching_rows(assistant):
    answer = assistant.ask("哪些项目存在没有量化的绩效指标？")
    total = next(f for f in answer.figures if f.label == "合计")
    assert Decimal(total.value) == sum(r.project.total for r in answer.rows)
    assert len(answer.rows) == 11


def test_empty_and_overlong_questions_are_refused(assistant):
    with pytest.raises(QuestionError, match="empty"):
        assistant.ask("   ")
    with pytest.raises(QuestionError, match="under 500"):
        assistant.ask("预算" * 300)


@pytest.mark.parametrize("question, verdict", [
    ("Is the department's total project budget 40,053,000 yuan?", "Yes: the total is 4005.30 万元."),
    ("部门项目支出合计是不是5000万元？", "不是：合计为 4005.30 万元，不是 5000 万元。"),
])
def test_a_stated_total_is_checked_not_filtered(assistant, question, verdict):
    answer = assistant.ask(question)
    assert answer.text.startswith(verdict)
    assert len(answer.rows) == 17


def test_a_year_range_inside_a_project_name_is_a_name(assistant):
    answer = assistant.ask("How much money is set aside for the foreign affairs office's 2024-2025 IT operations and maintenance?")
    assert names(answer) == [("中共广州市委外事工作委员会办公室2024-2025年信息化运维项目", "44.01")]
    assert assistant.ask("2025年外办的项目支出预算是多少？").status == "not_found"


def test_projects_with_a_given_number_of_indicators(assistant):
    answer = assistant.ask("哪些项目只设了两条绩效指标？")
    assert names(answer) == [("广州国际交流合作中心运行与管理服务项目", "550.00"),
                             ("机构运行辅助经费", "160.00"), ("机构运行辅助经费", "41.00")]
    more = assistant.ask("Which projects have at least 5 indicators?")
    assert all(len(r.project.indicators) >= 5 for r in more.rows) and more.rows


def test_a_target_value_quoted_word_for_word_is_matched_exactly(assistant):
    answer = assistant.ask("Which projects have an indicator whose target value literally reads 稳步提升?")
    assert {r.project.name for r in answer.rows} == {
        "全球市长论坛暨广州国际城市创新奖系列活动项目", "广州国际城市创新奖运行与管理服务项目", "广州国际交流合作中心运行与管理服务项目"}
    assert all(m.endswith("稳步提升") for r in answer.rows for m in r.matched)


def test_targets_counted_in_a_unit_of_measure_without_a_number(assistant):
    answer = assistant.ask("Which projects have a target measured in person-times (人次)?")
    assert answer.rows and all("人次" in m for r in answer.rows for m in r.matched)
    assert "时代地产业务管理运行经费" in {r.project.name for r in answer.rows}  # 900人次以上


def test_share_of_a_unit_is_taken_over_that_unit_for_the_previous_row(assistant):
    convo = Conversation()
    assistant.ask("驻外办事处项目设了哪些绩效指标？", conversation=convo)
    answer = assistant.ask("它的预算占发展中心总预算的比例是多少？", conversation=convo)
    assert names(answer) == [("驻外办事处项目", "180.00")]
    share = [f for f in answer.figures if f.unit == "%"]
    assert [(f.value, f.expression) for f in share] == [("74.38", "180.00 ÷ 242.00 × 100")]


def test_the_unit_itself_excludes_its_subordinate_units(assistant):
    answer = assistant.ask("外办本级预算最低的两个项目是哪两个？")
    assert names(answer) == [("中共广州市委外事工作委员会办公室2024-2025年信息化运维项目", "44.01"), ("审计及内部控制项目", "40.00")]


def _other(tmp_path_factory, folder):
    from pathlib import Path

    from assistant.config import Settings
    from assistant.core import Assistant

    other = Assistant(Settings.load(env={}, store=tmp_path_factory.mktemp(folder)))
    other.ingest([Path(__file__).parent / "gold" / folder])
    return other


def test_a_unit_and_a_thing_the_table_does_not_have_is_not_found(tmp_path_factory):
    other = _other(tmp_path_factory, "other_dept_culture")
    assert other.ask("What is the budget for the Terracotta Warriors museum renovation project?").status == "not_found"


def test_english_words_in_a_row_reach_a_compound_chinese_name(tmp_path_factory):
    other = _other(tmp_path_factory, "other_dept_agriculture")
    station = other.ask("Which projects does the agricultural technology extension station run?")  # 推广站
    assert len(station.rows) == 4 and {r.project.unit for r in station.rows} == {"南京市农业技术推广站"}
    seed = other.ask("How much is budgeted for the seed industry project?")  # 种 seed + 业 industry
    assert names(seed) == [("种业振兴专项资金", "480.00")]


@pytest.mark.parametrize("question", [
    "Break down the overseas offices project budget by country: how much does each office get?",
    "驻外办事处项目按国家分别安排了多少钱？",
])
def test_breakdowns_below_a_project_are_not_found(assistant, question):
    assert assistant.ask(question).status == "not_found"


@pytest.mark.parametrize("question", ["因公出国（境）经费比外事宣传项目多多少钱？",
                                      "How much more does the overseas offices project get than the audit project?"])
def test_two_projects_compared_give_both_rows_and_the_difference(assistant, question):
    answer = assistant.ask(question)
    assert len(answer.rows) == 2
    diff = [f for f in answer.figures if f.label == "差额"]
    big, small = sorted((r.project.total for r in answer.rows), reverse=True)
    assert [(f.value, f.expression) for f in diff] == [(str(big - small), f"{big} − {small}")]


def test_average_number_of_indicators_per_disclosed_project(assistant):
    answer = assistant.ask("不算不宜公开的项目，平均每个项目有几个绩效指标？")
    assert len(answer.rows) == 15 and not any(r.project.withheld for r in answer.rows)
    assert [(f.value, f.expression) for f in answer.figures if f.label == "平均指标数"] == [("3.93", "59 indicators ÷ 15 projects")]


def test_share_of_a_unit_and_of_the_department_in_one_question(assistant):
    answer = assistant.ask("What share of the development centre's money goes to its overseas offices, "
                           "and what share of the whole department's project budget is that?")
    assert {f.value for f in answer.figures if f.unit == "%"} == {"74.38", "4.49"}


def test_money_other_than_fiscal_appropriations_is_the_other_two_columns(assistant):
    answer = assistant.ask("How much of the overseas offices project is funded from anything other than fiscal appropriations?")
    assert names(answer) == [("驻外办事处项目", "180.00")]
    assert {(f.label, f.value) for f in answer.figures} >= {("财政专户拨款", "0.00"), ("其他资金", "0.00")}


def test_a_bare_number_after_target_value_is_a_target_not_an_amount(assistant):
    answer = assistant.ask("Which projects have an indicator whose annual target value is 50?")
    assert {r.project.name for r in answer.rows} == {"外事业务专项经费", "广州国际交流合作中心运行与管理服务项目"}  # 不少于50个, 50次
    assert assistant.ask("有没有项目把指标值定在百分之百的？").rows  # 百分之百 is 100%


def test_chinese_which_n_projects_is_a_ranking_not_a_count(assistant):
    answer = assistant.ask("哪两个项目预算最少？")
    assert names(answer) == [("发展中心涉外专项经费", "21.00"), ("审计及内部控制项目", "40.00")]
    assert not [f for f in answer.figures if f.label == "项目数"]


def test_indicator_categories_are_counted_in_english_and_chinese(assistant):
    assert [f.value for f in assistant.ask("How many output indicators are there across all projects?").figures
            if f.label == "指标数"] == ["29"]
    assert [f.value for f in assistant.ask("质量指标一共有几个？").figures if f.label == "指标数"] == ["7"]


def test_a_chinese_short_form_reaches_the_full_words(tmp_path_factory):
    other = _other(tmp_path_factory, "other_dept_resources")
    answer = other.ask("地灾项目的预算是多少？")  # 地灾 = 地质灾害
    assert [r.project.name for r in answer.rows] == ["地质灾害防治项目"]


def test_the_longest_glossary_phrase_wins(tmp_path_factory):
    other = _other(tmp_path_factory, "other_dept_education_ns")
    answer = other.ask("What is the total budget of the IT centre?")  # 信息中心, not 信息化 of "IT"
    assert {r.project.unit for r in answer.rows} == {"南山区教育信息中心"}


def test_a_yes_no_question_about_a_target_shows_the_deciding_row(assistant):
    answer = assistant.ask("多语种公共服务平台项目的满意度目标是不是不低于95%？")
    assert names(answer) == [("广州市多语种公共服务平台项目", "291.00")]
    assert answer.text.startswith("不是")


def test_a_bureau_the_table_does_not_hold_is_another_department(assistant):
    assert assistant.ask("广州市商务局2024年的项目支出合计是多少？").status == "not_found"


def test_withheld_rows_counted_in_are_not_a_filter(tmp_path_factory):
    other = _other(tmp_path_factory, "other_dept_emergency")
    answer = other.ask("表里一共有几个项目（不宜公开的也算）？平均每个项目多少钱？")
    assert len(answer.rows) == 16 and [f.value for f in answer.figures if f.label == "平均"] == ["427.01"]


def test_targets_for_a_concept_are_found_in_indicators_not_only_in_project_names(tmp_path_factory):
    other = _other(tmp_path_factory, "other_dept_hrss")
    answer = other.ask("Which projects have targets for wage arrears?")  # 欠薪 in a name and in another project's indicator
    assert {r.project.name for r in answer.rows} == {"根治欠薪专项工作经费", "劳动保障监察执法经费"}


def test_a_quoted_fragment_of_names_selects_the_projects_named_so(assistant):
    answer = assistant.ask("名称里带“专项经费”的项目合计多少钱？")
    assert {r.project.name for r in answer.rows} == {"外事业务专项经费", "13300101专项经费", "13300102专项经费", "发展中心涉外专项经费"}
    assert [f.value for f in answer.figures if f.label == "合计"] == ["1653.76"]
