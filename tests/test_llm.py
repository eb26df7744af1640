"""The optional LLM path, against a local fake OpenAI-compatible server (the real client, no patching)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant.core import Assistant
from tests.fake_openai import FakeOpenAI

KEY = "sk-test-DO-NOT-LEAK-1234"
Q365 = "Which projects target 365 service days?"
PLAN_365 = {"language": "en", "compute": ["list"], "indicator_concepts": ["天数"],
            "indicator_condition": {"op": "=", "value": 365, "unit": "天"}}
ROWS_365 = {("广州外事宣传项目", "120.00"), ("广州市多语种公共服务平台项目", "291.00")}


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def llm_assistant(settings, fake):
    return Assistant(replace(settings, openai_api_key=KEY, openai_base_url=fake.url, llm_timeout=1.0))


def rows(answer):
    return {(r["project"], r["total"]) for r in answer.to_json()["rows"]}


def test_model_plans_and_phrases_with_checked_numbers(llm_assistant, fake):
    fake.plans.append({"plan": PLAN_365})
    fake.texts.append({"text": "Two projects run their service for 365 days a year: [1] and [2], together 411.00 万元."})
    answer = llm_assistant.ask(Q365)
    assert answer.plan["source"] == "llm"
    assert rows(answer) == ROWS_365
    assert answer.text.startswith("Two projects")
    assert answer.notice is None
    assert fake.requests[0]["auth"] == f"Bearer {KEY}"


def test_phrasing_with_an_invented_number_is_discarded(llm_assistant, fake):
    fake.plans.append({"plan": PLAN_365})
    fake.texts.append({"text": "Two projects [1] [2] cost 500.00 万元 together."})
    answer = llm_assistant.ask(Q365)
    assert "411.00" in answer.text and "500" not in answer.text
    assert "discarded" in answer.notice


def test_phrasing_with_a_citation_that_is_not_a_row_is_discarded(llm_assistant, fake):
    fake.plans.append({"plan": PLAN_365})
    fake.texts.append({"text": "See [3] for 411.00 万元."})
    assert "citation [3]" in llm_assistant.ask(Q365).notice


@pytest.mark.parametrize("failure, words", [
    ({"status": 429}, "rate-limited"),
    ({"status": 503}, "HTTP 503"),
    ({"sleep": 2.5, "plan": PLAN_365}, "timed out"),
    ({"arguments": "{not json"}, "unusable"),
])
def test_model_failures_fall_back_to_the_offline_answer_with_a_notice(llm_assistant, fake, failure, words):
    fake.plans.append(failure)
    fake.texts.append({"status": 500})
    answer = llm_assistant.ask(Q365)
    assert rows(answer) == ROWS_365
    assert "411.00" in answer.text
    assert words in answer.notice and "offline" in answer.notice
    assert KEY not in json.dumps(answer.to_json(), ensure_ascii=False)


def test_model_naming_a_project_not_in_the_table_gives_not_found(llm_assistant, fake):
    fake.plans.append({"plan": {"language": "en", "compute": ["list"], "projects": ["Guangzhou Metro Line 22 extension"]}})
    answer = llm_assistant.ask("What is the budget of the Guangzhou Metro Line 22 extension project?")
    assert answer.status == "not_found" and answer.rows == []


def test_model_saying_unanswerable_gives_not_found(llm_assistant, fake):
    fake.plans.append({"plan": {"answerable": False, "reason": "actual spending in 2023"}})
    answer = llm_assistant.ask("2023年外办实际支出了多少钱？")
    assert answer.status == "not_found"
    assert "actual spending in 2023" in answer.text


def test_model_plan_names_resolve_through_the_glossary(llm_assistant, fake):
    fake.plans.append({"plan": {"language": "en", "compute": ["sum", "share"], "projects": ["Guangzhou Award for urban innovation"]}})
    fake.texts.append({"status": 500})
    answer = llm_assistant.ask("How much goes to the Guangzhou Award, and what share of the department budget is that?")
    values = {f.value for f in answer.figures}
    assert {"581.45", "14.52"} <= values


def test_embeddings_endpoint_builds_the_index_and_a_local_query_is_refused(tmp_path, fake):
    from assistant.config import Settings
    from assistant.errors import StoreError
    from tests.tables import SAMPLE

    remote = Settings.load(env={}, store=tmp_path / "s", embedder="openai", embeddings_model="fake-embed",
                           openai_api_key=KEY, openai_base_url=fake.url)
    Assistant(remote).ingest([SAMPLE])
    assert any(r["path"].endswith("/embeddings") for r in fake.requests)
    assert Assistant(remote).store.manifest()["embedder"].startswith("openai/fake-embed@")
    assert Assistant(remote).store.search("满意度", k=2)
    local = Assistant(Settings.load(env={}, store=tmp_path / "s"))
    with pytest.raises(StoreError, match="built with openai/fake-embed"):
        local.store.search("满意度")
