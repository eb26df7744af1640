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
