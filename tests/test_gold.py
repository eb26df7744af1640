"""The gold questions (a copy of shared/eval/questions.jsonl), question sets over the sample written
by people who did not see the code, and other departments' tables (Markdown, CSV, XLSX) the engine
was not written for — all offline."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.evaluation import run_eval

GOLD = Path(__file__).parent / "gold"

# Questions the engine is known to miss, with why; the test fails when one starts passing, so the
# list stays true.
KNOWN_MISSES = {
    "gy14": "'wetland protection': 湿地保护 stands whole in one project name and outscores 国家湿地公园保护管理, so one "
            "project of the two is given (as ty15)",
    "ty05": "'the medical insurance handling service centre': its words name projects as well as the unit, and the "
            "projects are taken (as nb05)",
    "ty14": "'群众医药费用负担': 医疗费用负担 holds more of the words than 群众用药负担, so only that indicator is taken",
    "ty15": "'the long-term care insurance pilot': 长期护理保险试点工作经费 holds the words whole and outscores "
            "长期护理保险试点失能评估服务项目, so one project of the two is given",
    "nc14": "'digital city management': 数字城管 outscores 数字化城市管理 (城市, 管理 are common words), so one "
            "project of the two is given",
    "sj12": "'数据上报及时率': 价格监测数据上报及时率 holds it whole and outscores 农业统计报表上报及时率, which holds "
            "only 上报及时率",
    "hh32": "'the complaint target for the development centre's foreign-affairs special fund': 'foreign' also names "
            "the fund's 外国人 indicators, which outweigh its complaint indicator",
    "nb05": "'the housing security centre': 住房 and 保障 name two projects as well as 宁波市住房保障中心, and the "
            "projects are taken",
    "fz16": "'the number of archive volumes to be digitised': 数字 of 数字档案馆 is taken for 'digitised' too, so "
            "that project is listed beside the digitisation project",
    "cm02": "'actually utilised foreign investment': 使用 is not 'utilise' in CC-CEDICT, and 外资 is shared by two "
            "indicators of the project, so the project's other indicator is given",
    "l19": "'student participations' of 'the youth science activities project': the project's words also name its other "
           "indicator (青少年科技竞赛及科普活动), which is taken instead of 参与活动学生",
    "y02": "'the sailing promotion project': CC-CEDICT has 帆船 as 'sailboat' only, so 'sailing' reaches no word of 帆船运动推广普及项目",
    "g12": "'the day-to-day running of the Guangzhou Award': 运行 is too common a word to tell the award's "
           "operations project from the forum project, so both are compared with the overseas offices",
    "w22": "'全年365天保障运行或值守': 保障 and 值守 are read as names (a project and one indicator) and narrow "
           "the 365-day targets to one project",
}


def failures(report):
    return {i["id"]: f"{i['question']}: {'; '.join(i['why'])}" for i in report["items"] if not i["passed"]}


def check(report):
    failed = failures(report)
    unexpected = {k: v for k, v in failed.items() if k not in KNOWN_MISSES}
    assert not unexpected, "\n".join(f"{k} {v}" for k, v in unexpected.items())
    ids = {i["id"] for i in report["items"]}
    fixed = [k for k in KNOWN_MISSES if k in ids and k not in failed]
    assert not fixed, f"now answered correctly, remove from KNOWN_MISSES: {fixed}"


@pytest.mark.parametrize("name", ["questions.jsonl", "heldout.jsonl", "unseen_sample.jsonl", "blind_sample.jsonl",
                                  "blind4_sample.jsonl", "blind5_sample.jsonl", "blind6_sample.jsonl",
                                  "blind7_sample.jsonl", "blind10_sample.jsonl", "blind13_sample.jsonl",
                                  "blind16_sample.jsonl", "blind19_sample.jsonl",
                                  "blind22_sample.jsonl", "blind25_sample.jsonl",
                                  "blind28_sample.jsonl", "blind31_sample.jsonl",
                                  "blind33_sample.jsonl", "blind36_sample.jsonl"])
def test_question_set_over_the_sample(assistant, name):
    check(run_eval(assistant, GOLD / name))


@pytest.mark.parametrize("folder", ["other_dept", "other_dept_health", "other_dept_transport", "other_dept_civil",
                                    "other_dept_ecology", "other_dept_agriculture", "other_dept_culture",
                                    "other_dept_market", "other_dept_water", "other_dept_veterans", "other_dept_sports",
                                    "other_dept_justice", "other_dept_health_xm", "other_dept_education_ns",
                                    "other_dept_resources", "other_dept_commerce", "other_dept_emergency",
                                    "other_dept_port", "other_dept_hrss", "other_dept_housing", "other_dept_archives",
                                    "other_dept_statistics", "other_dept_medical_insurance", "other_dept_urban",
                                    "other_dept_forestry"])
def test_questions_over_another_departments_table(tmp_path_factory, folder):
    store = tmp_path_factory.mktemp(folder)
    other = Assistant(Settings.load(env={}, store=store))
    other.ingest([GOLD / folder])
    check(run_eval(other, GOLD / folder / "questions.jsonl"))
