"""Ingest: atomic, idempotent, cached; bad input gives one clear error and leaves the store as it was."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.errors import InputError, StoreError
from tests.fakes import HashEmbeddings
from tests.tables import SAMPLE, write_markdown

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]


def fake_assistant(store: Path, embedder: HashEmbeddings | None = None) -> Assistant:
    return Assistant(Settings.load(env={}, store=store), embedder=embedder or HashEmbeddings())


def snapshot(store: Path) -> tuple[str, str]:
    gen = (store / "CURRENT").read_text()
    return gen, (store / gen / "records.json").read_text(encoding="utf-8")


def test_reingest_replaces_entries_without_duplicates(tmp_path):
    a = fake_assistant(tmp_path / "s")
    a.ingest([SAMPLE])
    a.ingest([SAMPLE])
    assert len(a.corpus().projects()) == 17
    assert a.store._open_collection().count() == 17 + 59
    assert len(list((tmp_path / "s").glob("gen-*"))) <= 2


def test_second_document_is_added_beside_the_first(tmp_path):
    a = fake_assistant(tmp_path / "s")
    a.ingest([SAMPLE])
    other = write_markdown(tmp_path / "other_2024.md", [
        ["合计", "10.00", "10.00", "", "", "", ""],
        ["测试单位", "10.00", "10.00", "", "", "", ""],
        ["测试项目", "10.00", "10.00", "", "", "目标", "1、产出指标：服务天数，年度指标值：200天。"],
    ])
    a.ingest([other])
    assert len(a.corpus().departments) == 2
    assert len(a.corpus().projects()) == 18


def test_unchanged_reingest_embeds_nothing_new(tmp_path):
    embedder = HashEmbeddings()
    a = fake_assistant(tmp_path / "s", embedder)
    a.ingest([SAMPLE])
    first = embedder.embedded
    a.ingest([SAMPLE])
    assert first == 76 and embedder.embedded == first


def test_failure_in_the_middle_of_an_ingest_keeps_the_previous_index(tmp_path):
    store = tmp_path / "s"
    fake_assistant(store).ingest([SAMPLE])
    before = snapshot(store)
    broken = fake_assistant(store, HashEmbeddings(id="fake-hash-2", fail_after=40))
    with pytest.raises(RuntimeError):
        broken.ingest([SAMPLE])
    assert snapshot(store) == before
    assert not list(store.glob(".build-*"))
    again = fake_assistant(store)
    assert len(again.corpus().projects()) == 17
    assert again.store.search("service days", k=3)


@pytest.mark.parametrize("name, content, message", [
    ("empty.md", b"", "empty"),
    ("no_total.md", "| 项目名称 | 金额 |\n|---|---|\n| 甲 | 1 |\n".encode(), "总计"),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
    ("words.txt", "just some words".encode(), "总计"),
])
def test_bad_files_give_a_clear_error_and_leave_the_store_untouched(tmp_path, name, content, message):
    store = tmp_path / "s"
    a = fake_assistant(store)
    a.ingest([SAMPLE])
    before = snapshot(store)
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(InputError, match=message):
        a.ingest([SAMPLE, bad])
    assert snapshot(store) == before


def test_non_numeric_amount_names_the_line(tmp_path):
    bad = write_markdown(tmp_path / "bad.md", [["某项目", "一百", "100", "", "", "目标", "1、产出指标：x，年度指标值：1个。"]])
    with pytest.raises(InputError, match=r"bad\.md:5.*not a number"):
        fake_assistant(tmp_path / "s").ingest([bad])


def test_query_with_another_embedder_is_refused_clearly(tmp_path):
    store = tmp_path / "s"
    fake_assistant(store).ingest([SAMPLE])
    other = fake_assistant(store, HashEmbeddings(id="another-model"))
    with pytest.raises(StoreError, match="built with fake-hash"):
        other.store.search("satisfaction")


def test_missing_store_says_how_to_build_it(tmp_path):
    with pytest.raises(StoreError, match="assistant ingest"):
        fake_assistant(tmp_path / "nothing").corpus()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_ingest_then_show_json_gives_17_projects_59_indicators(tmp_path):
    store = str(tmp_path / "s")
    ingest = run_cli("ingest", "--store", store, str(ROOT / "index" / "sources"))
    assert ingest.returncode == 0, ingest.stderr
    assert "合计 4005.30 = sum of units 4005.30" in ingest.stdout
    shown = run_cli("show", "--json", "--store", store)
    docs = json.loads(shown.stdout)
    projects = [p for d in docs for p in d["projects"]]
    assert len(projects) == 17
    assert sum(len(p["indicators"]) for p in projects) == 59
    assert docs[0]["total"] == "4005.30"
    assert {"project", "unit", "total", "indicators"} <= set(projects[0])


def test_cli_validate_bad_file_exits_1_with_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run_cli("validate", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "总计" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_validate_reports_numbering_and_reconciliation():
    result = run_cli("validate", str(SAMPLE))
    assert result.returncode == 0
    assert "外事业务专项经费: indicators numbered 1,1,2,3,4,5; repeats 1" in result.stdout
    assert "广州对外交流发展中心 242.00 = sum of its 3 projects 242.00" in result.stdout
