"""Feedback is stored in SQLite at the store root and listed by ``assistant feedback``."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import QuestionError
from assistant.feedback import FeedbackStore, list_feedback

ROOT = Path(__file__).resolve().parent.parent


def test_feedback_is_stored_and_listed_in_order(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    first = store.add(rating="up", question="预算最高的三个项目是哪些？", answer="…", source="web")
    second = store.add(rating="down", question="What is the total?", reason="wrong unit", source="slack",
                       conversation_id="abc", extra={"channel": "C1"})
    items = store.list()
    assert [i["id"] for i in items] == [first, second]
    assert items[0]["rating"] == "up" and items[0]["question"] == "预算最高的三个项目是哪些？"
    assert items[1] | {"created": None} == {
        "id": second, "created": None, "rating": "down", "question": "What is the total?", "answer": "",
        "reason": "wrong unit", "source": "slack", "conversation_id": "abc", "extra": {"channel": "C1"}}
    assert "T" in items[0]["created"]  # ISO time


def test_feedback_lives_at_the_store_root(tmp_path: Path) -> None:
    settings = Settings.load(env={}, store=tmp_path / "store")
    FeedbackStore.for_settings(settings).add(rating="up", question="q")
    assert (tmp_path / "store" / "feedback.sqlite").exists()
    assert [f["question"] for f in list_feedback(settings)] == ["q"]


def test_listing_feedback_of_an_empty_store_is_empty(tmp_path: Path) -> None:
    assert FeedbackStore(tmp_path / "none" / "feedback.sqlite").list() == []


@pytest.mark.parametrize("kwargs", [
    {"rating": "meh", "question": "q"},
    {"rating": "up", "question": "   "},
    {"rating": "up", "question": "q" * 5000},
    {"rating": "up", "question": "q", "reason": "r" * 5000},
    {"rating": "up", "question": "q", "source": ""},
    {"rating": "up", "question": 42},
    {"rating": "up", "question": "q", "extra": ["not", "a", "dict"]},
])
def test_bad_feedback_is_refused_with_a_question_error(tmp_path: Path, kwargs: dict) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    with pytest.raises(QuestionError):
        store.add(**kwargs)
    assert store.list() == []


def test_feedback_store_is_safe_to_share_between_threads(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")

    def work(n: int) -> None:
        for i in range(10):
            store.add(rating="up" if i % 2 else "down", question=f"q{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({f["id"] for f in store.list()}) == 40


def test_feedback_command_prints_stored_feedback_as_json(tmp_path: Path) -> None:
    FeedbackStore(tmp_path / "feedback.sqlite").add(rating="down", question="满意度？", reason="缺少一行")
    cli = ROOT / ".venv" / "bin" / "assistant"
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "assistant.cli"]
    out = subprocess.run([*cmd, "feedback", "--json", "--store", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    items = json.loads(out)
    assert [(i["rating"], i["question"], i["reason"]) for i in items] == [("down", "满意度？", "缺少一行")]
