"""The gold questions (a copy of shared/eval/questions.jsonl) and the held-out sets, offline."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation import run_eval

GOLD = Path(__file__).parent / "gold"


@pytest.mark.parametrize("name", ["questions.jsonl", "heldout.jsonl"])
def test_question_set_scores_100_percent_offline(assistant, name):
    report = run_eval(assistant, GOLD / name)
    failures = [f"{i['id']} {i['question']}: {'; '.join(i['why'])}" for i in report["items"] if not i["passed"]]
    assert not failures, "\n".join(failures)
