"""The gold questions (a copy of shared/eval/questions.jsonl), the held-out sets over the sample,
and a second department's table the engine was not written for — all offline."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.evaluation import run_eval

GOLD = Path(__file__).parent / "gold"


def failures(report):
    return [f"{i['id']} {i['question']}: {'; '.join(i['why'])}" for i in report["items"] if not i["passed"]]


@pytest.mark.parametrize("name", ["questions.jsonl", "heldout.jsonl", "unseen_sample.jsonl", "blind_sample.jsonl", "blind4_sample.jsonl"])
def test_question_set_over_the_sample_scores_100_percent(assistant, name):
    assert not failures(run_eval(assistant, GOLD / name)), "\n".join(failures(run_eval(assistant, GOLD / name)))


@pytest.mark.parametrize("folder", ["other_dept", "other_dept_health", "other_dept_transport"])
def test_questions_over_another_departments_table_score_100_percent(tmp_path_factory, folder):
    store = tmp_path_factory.mktemp(folder)
    other = Assistant(Settings.load(env={}, store=store))
    other.ingest([GOLD / folder])
    report = run_eval(other, GOLD / folder / "questions.jsonl")
    assert not failures(report), "\n".join(failures(report))
