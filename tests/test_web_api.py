"""The HTTP API over real HTTP: a uvicorn server started by the test, an httpx client."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import openpyxl
import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.sessions import ConversationStore
from assistant.web import ScrubFilter, create_app, serve
from servers import free_port, running

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
SERVICE_DAYS = "Which projects target 365 service days?"
SERVICE_DAY_ROWS = {("广州外事宣传项目", "120.00"), ("广州市多语种公共服务平台项目", "291.00")}
XSS_NAME = "<script>alert(1)</script>热线项目"
XSS_QUESTION = "服务天数为365天的项目有哪些？"  # both rows of the XSS table
XSS_TABLE = f"""项目支出绩效目标表（含转移支付项目）

部门名称：测试部门

单位：万元

| 项目名称（资金使用单位） | 总计 | 财政拨款 | 财政专户拨款 | 其他资金 | 绩效目标 | 绩效指标 |
|---|---|---|---|---|---|---|
| 合计 | 10.00 | 10.00 | | | | |
| 测试部门 | 10.00 | 10.00 | | | | |
| {XSS_NAME} | 6.00 | 6.00 | | | 通过开展热线服务，主要达到如下目标：保障热线正常运行。 | 1、产出指标：服务天数，年度指标值：365天。2、满意度指标：服务对象满意度，年度指标值：95%以上。 |
| 窗口服务项目 | 4.00 | 4.00 | | | 通过开展窗口服务，主要达到如下目标：方便群众办事。 | 1、产出指标：服务天数，年度指标值：365天。 |
"""


# -- helpers shared with test_web_browser.py -----------------------------------------------------------
def copy_store(sample_store: Path, dest: Path) -> Path:
    """A private copy of the sample store (feedback is written into the store root)."""
    shutil.copytree(sample_store, dest)
    return dest


def xss_store(folder: Path) -> Path:
    """A store holding one tiny table whose project name contains a script tag."""
    table = folder / "xss.md"
    table.write_text(XSS_TABLE, encoding="utf-8")
    store = folder / "store"
    Assistant(Settings.load(env={}, store=store)).ingest([table])
    return store


def cli() -> list[str]:
    """The installed ``assistant`` command of this interpreter (or ``python -m assistant.cli``)."""
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """The server-sent events of a finished response, as (event, data) pairs."""
    out = []
    for block in response.text.replace("\r\n", "\n").split("\n\n"):
        lines = block.strip().splitlines()
        name = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), "message")
        data = "\n".join(ln[5:].lstrip() for ln in lines if ln.startswith("data:"))
        if data:
            out.append((name, json.loads(data)))
    return out


def row_set(answer: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["project"], r["total"]) for r in answer["rows"]}


def figure_values(answer: dict[str, Any]) -> list[str]:
    return [f["value"] for f in answer["figures"]]


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web_store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(sample_store, tmp_path_factory.mktemp("web") / "store")


@pytest.fixture(scope="module")
def web_assistant(web_store: Path) -> Assistant:
    return Assistant(Settings.load(env={}, store=web_store))


@pytest.fixture(scope="module")
def base_url(web_store: Path, web_assistant: Assistant) -> Iterator[str]:
    with running(create_app(Settings.load(env={}, store=web_store), web_assistant)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


SECRET = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def token_url(web_store: Path, web_assistant: Assistant) -> Iterator[str]:
    settings = Settings.load(env={"ASSISTANT_API_TOKEN": SECRET}, store=web_store)
    with running(create_app(settings, web_assistant)) as url:
        yield url


# -- asking ---------------------------------------------------------------------------------------
def test_ask_returns_the_contract_with_cited_rows_and_the_figure(client: httpx.Client) -> None:
    reply = client.post("/api/ask", json={"question": SERVICE_DAYS})
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["status"] == "answered"
    assert row_set(answer) == SERVICE_DAY_ROWS
    assert "411.00" in figure_values(answer)
    assert all(r["source"]["document"].endswith(".md") and r["source"]["line"] > 0 for r in answer["rows"])
    assert answer["conversation_id"] and answer["answer_id"] and answer["language"] == "en"


def test_follow_up_with_the_conversation_id_sees_the_earlier_rows(client: httpx.Client) -> None:
    first = client.post("/api/ask", json={"question": SERVICE_DAYS}).json()
    follow = client.post("/api/ask", json={"question": "What is their combined budget?",
                                           "conversation_id": first["conversation_id"]}).json()
    assert follow["conversation_id"] == first["conversation_id"] and not follow["new_conversation"]
    assert "411.00" in figure_values(follow) or "411.00" in follow["answer"]


def test_an_unknown_conversation_id_starts_a_new_conversation(client: httpx.Client) -> None:
    answer = client.post("/api/ask", json={"question": SERVICE_DAYS, "conversation_id": "expired-or-made-up"}).json()
    assert answer["conversation_id"] != "expired-or-made-up" and answer["new_conversation"] is True


def test_stream_yields_progress_then_the_text_in_chunks_then_the_answer(client: httpx.Client) -> None:
    reply = client.post("/api/ask/stream", json={"question": SERVICE_DAYS})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    got = events(reply)
    names = [name for name, _ in got]
    steps = [data["step"] for name, data in got if name == "progress"]
    assert {"planning", "executing", "answering"} <= set(steps)
    assert names[-1] == "answer" and names.index("delta") > max(i for i, n in enumerate(names) if n == "progress")
    final = got[-1][1]
    assert "".join(data["text"] for name, data in got if name == "delta") == final["answer"]
    assert row_set(final) == SERVICE_DAY_ROWS and final["conversation_id"]


# -- what is indexed --------------------------------------------------------------------------------
def test_health_says_ok_and_gives_the_question_limit(client: httpx.Client) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "auth_required": False, "max_question_chars": 500}


def test_documents_lists_the_sample_with_units_projects_and_totals(client: httpx.Client) -> None:
    data = client.get("/api/documents").json()
    assert data["counts"] == {"documents": 1, "units": 2, "projects": 17}
    doc = data["documents"][0]
    assert doc["document"] == "guangzhou_fao_2024_project_performance_targets.md"
    assert doc["department"] == "中共广州市委外事工作委员会办公室" and doc["total"] == "4005.30"
    assert {(u["name"], u["amount"]) for u in doc["units"]} >= {("广州对外交流发展中心", "242.00")}
    assert doc["withheld_count"] >= 2
    assert {"project": "广州外事宣传项目", "total": "120.00"}.items() <= next(
        p for p in doc["projects"] if p["project"] == "广州外事宣传项目").items()


# -- limits and errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_too_long_question_is_refused_with_a_json_error(client: httpx.Client, path: str) -> None:
    reply = client.post(path, json={"question": "预算" * 300})
    assert reply.status_code == 422
    assert "600 characters" in reply.json()["error"] and "500" in reply.json()["error"]


@pytest.mark.parametrize("body", [{"question": "   "}, {}, {"question": 42}])
def test_an_empty_or_missing_question_is_refused(client: httpx.Client, body: dict[str, Any]) -> None:
    reply = client.post("/api/ask", json=body)
    assert reply.status_code == 422 and reply.json()["error"]


def test_a_body_that_is_not_json_is_refused(client: httpx.Client) -> None:
    reply = client.post("/api/ask", content=b"{question", headers={"content-type": "application/json"})
    assert reply.status_code == 422 and "JSON" in reply.json()["error"]


def test_a_too_large_body_is_refused_with_413(client: httpx.Client) -> None:
    reply = client.post("/api/ask", json={"question": "x" * 100_000})
    assert reply.status_code == 413 and "too large" in reply.json()["error"]


def test_a_too_large_chunked_body_is_refused_with_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(64):
            yield b"y" * 1024
        yield b'"}'

    reply = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert reply.status_code == 413 and reply.json()["error"]


def test_unknown_api_paths_are_a_json_404(client: httpx.Client) -> None:
    reply = client.get("/api/nothing-here")
    assert reply.status_code == 404 and reply.json() == {"error": "no such page or endpoint: /api/nothing-here"}


def test_a_store_error_is_a_one_line_json_error_without_a_traceback(tmp_path: Path) -> None:
    settings = Settings.load(env={"ASSISTANT_API_TOKEN": "never-shown"}, store=tmp_path / "empty-store")
    with running(create_app(settings)) as url:
        reply = httpx.post(f"{url}/api/ask", json={"question": SERVICE_DAYS}, timeout=60,
                           headers={"Authorization": "Bearer never-shown"})
    assert 400 <= reply.status_code < 600
    message = reply.json()["error"]
    assert message and "\n" not in message and "Traceback" not in reply.text and "never-shown" not in reply.text


# -- the API token ------------------------------------------------------------------------------------
def test_serving_on_a_public_address_without_a_token_is_refused(tmp_path: Path) -> None:
    settings = Settings.load(env={}, store=tmp_path / "store")
    with pytest.raises(AssistantError, match="ASSISTANT_API_TOKEN"):
        serve(settings, host="0.0.0.0", port=free_port())


def test_the_serve_command_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_API_TOKEN"}
    done = subprocess.run([*cli(), "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--store", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode != 0
    assert "ASSISTANT_API_TOKEN" in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_with_a_token_the_api_needs_the_bearer_but_the_page_loads(token_url: str) -> None:
    with httpx.Client(base_url=token_url, timeout=60) as c:
        assert c.get("/").status_code == 200
        assert c.get("/api/health").json()["auth_required"] is True
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET}):
            reply = c.post("/api/ask", json={"question": SERVICE_DAYS}, headers=headers)
            assert reply.status_code == 401 and "token" in reply.json()["error"]
            assert SECRET not in reply.text
        assert c.get("/api/documents").status_code == 401
        ok = c.post("/api/ask", json={"question": SERVICE_DAYS}, headers={"Authorization": f"Bearer {SECRET}"})
        assert ok.status_code == 200 and row_set(ok.json()) == SERVICE_DAY_ROWS


def test_served_publicly_with_a_token_the_logs_never_show_it(sample_store: Path, tmp_path: Path) -> None:
    store = copy_store(sample_store, tmp_path / "store")
    port = free_port()
    env = {**os.environ, "ASSISTANT_API_TOKEN": SECRET, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([*cli(), "serve", "--host", "0.0.0.0", "--port", str(port), "--store", str(store)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 45
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert httpx.get(f"{url}/?token={SECRET}").status_code == 200
        assert httpx.get(f"{url}/api/documents", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert f"http://127.0.0.1:{port}/" in output  # the URL to open is printed
    assert SECRET not in output and "token=***" in output


def test_the_log_filter_scrubs_secrets_from_messages_arguments_and_tracebacks() -> None:
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        record = logging_record("%s %s", ("GET", f"/?token={SECRET}"), sys.exc_info())
    ScrubFilter([SECRET]).filter(record)
    assert record.args == ("GET", "/?token=***") and SECRET not in (record.exc_text or "x")


def logging_record(msg: str, args: tuple[Any, ...], exc_info: Any) -> Any:
    import logging

    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, args, exc_info)


# -- export ---------------------------------------------------------------------------------------------
def test_csv_export_has_a_bom_and_the_cited_rows(client: httpx.Client) -> None:
    answer = client.post("/api/ask", json={"question": SERVICE_DAYS}).json()
    reply = client.post("/api/export?format=csv", json={"answer_id": answer["answer_id"]})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    assert reply.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["No.", "Project", "Unit", "Amount (万元)"]
    assert {(line[1], line[3]) for line in lines[1:]} == SERVICE_DAY_ROWS
    assert all(line[5].endswith(".md") and line[6].isdigit() for line in lines[1:])


def test_xlsx_export_has_the_rows_as_numbers_and_the_figures(client: httpx.Client) -> None:
    answer = client.post("/api/ask", json={"question": SERVICE_DAYS}).json()
    reply = client.post("/api/export?format=xlsx", json={"answer_id": answer["answer_id"]})
    assert reply.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(reply.content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert {(r[1], f"{r[3]:.2f}") for r in rows} == SERVICE_DAY_ROWS
    assert any("411" in str(v) for r in book.worksheets[1].iter_rows(values_only=True) for v in r)


def test_export_of_posted_rows_keeps_formulas_out_of_spreadsheets(client: httpx.Client) -> None:
    rows = [{"project": "=HYPERLINK(\"x\")", "unit": "单位", "total": "1.50",
             "source": {"document": "a.md", "line": 3}, "matched": ["产出指标：天数，年度指标值：365天"]}]
    lines = list(csv.reader(io.StringIO(client.post("/api/export?format=csv", json={"rows": rows, "language": "zh"})
                                        .content.decode("utf-8-sig"))))
    assert lines[0][1] == "项目名称" and lines[1][1] == "'=HYPERLINK(\"x\")" and lines[1][3] == "1.50"
    figures = [{"label": "合计", "value": "1.50", "unit": "万元", "expression": "=1.50"}]
    book = openpyxl.load_workbook(io.BytesIO(client.post("/api/export?format=xlsx",
                                                         json={"rows": rows, "figures": figures}).content))
    cell = book.worksheets[0]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")
    assert [c.value for c in book.worksheets[1][2]] == ["合计", 1.5, "万元", "'=1.50"]


@pytest.mark.parametrize("query, body, status", [
    ("pdf", {"rows": []}, 400),
    ("csv", {"answer_id": "gone"}, 404),
    ("csv", {"rows": [{"project": "p", "total": "lots", "source": {"document": "a.md", "line": 1}}]}, 422),
])
def test_bad_export_requests_get_a_clear_error(client: httpx.Client, query: str, body: dict, status: int) -> None:
    reply = client.post(f"/api/export?format={query}", json=body)
    assert reply.status_code == status and reply.json()["error"]


# -- feedback -------------------------------------------------------------------------------------------
def test_feedback_is_stored_and_listed_by_the_feedback_command(client: httpx.Client, web_store: Path) -> None:
    answer = client.post("/api/ask", json={"question": SERVICE_DAYS}).json()
    reply = client.post("/api/feedback", json={"rating": "down", "reason": "缺少单位小计",
                                               "answer_id": answer["answer_id"]})
    assert reply.status_code == 200 and reply.json()["stored"] is True
    listed = subprocess.run([*cli(), "feedback", "--json", "--store", str(web_store)],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    item = next(f for f in json.loads(listed) if f["id"] == reply.json()["id"])
    assert (item["rating"], item["question"], item["reason"], item["source"]) == ("down", SERVICE_DAYS, "缺少单位小计", "web")
    assert item["conversation_id"] == answer["conversation_id"] and item["extra"]["status"] == "answered"


@pytest.mark.parametrize("body", [{"rating": "meh", "question": "q"}, {"rating": "up"}, {"rating": "up", "question": "q", "reason": "r" * 3000}])
def test_bad_feedback_is_refused(client: httpx.Client, body: dict[str, Any]) -> None:
    reply = client.post("/api/feedback", json=body)
    assert reply.status_code == 422 and reply.json()["error"]


# -- the page ----------------------------------------------------------------------------------------------
def test_the_page_and_its_assets_name_no_external_url(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    for path in ("/", "/static/app.js", "/static/app.css"):
        text = client.get(path).text
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
    assert client.get("/static/app.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))


def test_a_project_name_with_markup_comes_back_as_plain_data(tmp_path: Path) -> None:
    with running(create_app(Settings.load(env={}, store=xss_store(tmp_path)))) as url:
        answer = httpx.post(f"{url}/api/ask", json={"question": XSS_QUESTION}, timeout=60).json()
    assert {r["project"] for r in answer["rows"]} == {XSS_NAME, "窗口服务项目"}


# -- conversations kept server-side -----------------------------------------------------------------------
def test_conversations_are_bounded_least_recently_used_first() -> None:
    store = ConversationStore(max_conversations=2)
    a, _ = store.get(None)
    b, _ = store.get(None)
    store.get(a)  # a is now the most recent
    c, _ = store.get(None)
    assert a in store and c in store and b not in store and len(store) == 2


def test_conversations_expire_after_their_idle_time() -> None:
    now = [0.0]
    store = ConversationStore(max_age_seconds=60, clock=lambda: now[0])
    cid, conversation = store.get(None)
    now[0] = 59
    assert store.get(cid) == (cid, conversation)
    now[0] = 59 + 61
    new_id, fresh = store.get(cid)
    assert new_id != cid and fresh is not conversation


def test_conversation_store_is_safe_to_share_between_threads() -> None:
    store = ConversationStore(max_conversations=50)
    ids: list[str] = []

    def work() -> None:
        for _ in range(200):
            cid, _conv = store.get(None)
            ids.append(store.get(cid)[0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == 50 and len(set(ids)) == 800
