"""The ask command: readable output, the --json contract, stdin lines, conversations, --explain."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ask(store: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--store", str(store), *args],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_ask_prints_the_rows_and_the_combined_budget(sample_store):
    out = ask(sample_store, "Which projects target 365 service days?")
    assert out.returncode == 0, out.stderr
    assert "广州外事宣传项目" in out.stdout and "广州市多语种公共服务平台项目" in out.stdout
    assert "411.00" in out.stdout and "120.00 + 291.00" in out.stdout


def test_ask_json_follows_the_contract(sample_store):
    out = json.loads(ask(sample_store, "--json", "Which projects target 365 service days?").stdout)
    assert out["status"] == "answered"
    row = out["rows"][0]
    assert set(row) >= {"project", "unit", "total", "source", "matched"}
    assert row["source"] == {"document": "guangzhou_fao_2024_project_performance_targets.md", "line": 19}
    assert out["figures"][0] == {"label": "合计", "value": "411.00", "unit": "万元", "expression": "120.00 + 291.00"}


def test_stdin_lines_are_independent_unless_conversation(sample_store):
    lines = "Which projects target 365 service days?\nWhat is their combined budget?\n"
    independent = [json.loads(l) for l in ask(sample_store, "--json", "-", stdin=lines).stdout.splitlines()]
    assert len(independent) == 2
    together = [json.loads(l) for l in ask(sample_store, "--json", "--conversation", "-", stdin=lines).stdout.splitlines()]
    assert [f["value"] for f in together[1]["figures"]] == ["411.00"]
    assert len(together[1]["rows"]) == 2


def test_a_bad_line_in_a_batch_does_not_stop_the_others(sample_store):
    lines = "Which projects target 365 service days?\n" + "预算" * 300 + "\n一共有多少个项目？\n"
    outs = [json.loads(l) for l in ask(sample_store, "--json", "-", stdin=lines).stdout.splitlines()]
    assert [o["status"] for o in outs] == ["answered", "error", "answered"]


def test_explain_prints_the_plan(sample_store):
    out = ask(sample_store, "--explain", "满意度指标目标不低于95%的项目有哪些？")
    assert '"indicator_condition"' in out.stdout and '"≥"' in out.stdout


def test_missing_store_is_one_clear_line(tmp_path):
    out = ask(tmp_path / "none", "一共有多少个项目？")
    assert out.returncode == 1
    assert out.stderr.startswith("error:") and "assistant ingest" in out.stderr and "Traceback" not in out.stderr


def test_eval_command_scores_the_gold_copy(sample_store):
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "--store", str(sample_store),
                          str(ROOT / "tests" / "gold" / "questions.jsonl")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]
    assert "100.0% of questions answered correctly (36/36)" in out.stdout


def test_an_empty_question_is_refused_with_one_line(sample_store):
    out = ask(sample_store, "  ")
    assert out.returncode != 0 and out.stderr.strip().startswith("error: the question is empty")


def test_a_follow_up_with_nothing_before_asks_for_the_first_question(sample_store):
    out = ask(sample_store, "--json", "它们合计多少？")
    answer = json.loads(out.stdout)
    assert answer["status"] == "needs_clarification" and "此前没有问过问题" in answer["answer"]
