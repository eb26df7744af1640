"""The chat page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Chromium is never downloaded here: without /usr/bin/chromium these tests fail when CI is set and
are skipped (with the reason) on a developer machine.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.web import create_app
from test_web_api import SERVICE_DAY_ROWS, SERVICE_DAYS, XSS_NAME, XSS_QUESTION, cli, copy_store, running, xss_store

pytestmark = [pytest.mark.browser, pytest.mark.server]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOT = ROOT / "tests" / "artifacts" / "web-chat.png"
TOKEN = "browser-test-token"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    if not CHROMIUM.exists():
        reason = "Chromium is not at /usr/bin/chromium; run `make browser` (apt-get install chromium fonts-wqy-microhei)"
        if _in_ci():
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(sample_store, tmp_path_factory.mktemp("browser") / "store")


@pytest.fixture(scope="module")
def shared_assistant(store: Path) -> Assistant:
    return Assistant(Settings.load(env={}, store=store))


@pytest.fixture(scope="module")
def base_url(store: Path, shared_assistant: Assistant) -> Iterator[str]:
    with running(create_app(Settings.load(env={}, store=store), shared_assistant)) as url:
        yield url


class Chat:
    """The page in a fresh browser context, recording every URL it asks for and every dialog."""

    def __init__(self, browser: Any, base_url: str, locale: str = "en-US") -> None:
        self.base_url = base_url
        self.context = browser.new_context(locale=locale, accept_downloads=True, viewport={"width": 1200, "height": 900})
        self.requested: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requested.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.answers = 0

    def _only_local(self, route: Any) -> None:
        """Block anything not served by the test server (the listener still records it)."""
        if route.request.url.startswith(self.base_url):
            route.continue_()
        else:
            route.abort()

    def open(self, path: str = "/") -> "Chat":
        self.page.goto(self.base_url + path)
        self.page.wait_for_selector("#examples button")
        return self

    def ask(self, question: str) -> Any:
        """Type the question, press Enter and wait for the streamed answer to finish."""
        self.page.fill("#question", question)
        self.page.press("#question", "Enter")
        return self.wait_for_answer()

    def wait_for_answer(self) -> Any:
        self.answers += 1
        card = self.page.locator(f'article.msg.bot[data-answer="{self.answers}"]')
        card.and_(self.page.locator('[data-state="done"], [data-state="error"]')).wait_for(timeout=30_000)
        assert card.get_attribute("data-state") == "done", card.inner_text()
        return card

    def close(self) -> None:
        """Close, then check the page never reached beyond the server and raised no error."""
        self.context.close()
        outside = [u for u in self.requested if not u.startswith((self.base_url, "blob:", "data:"))]
        assert outside == [], f"the page requested non-local URLs: {outside}"
        assert self.errors == [], f"script errors on the page: {self.errors}"


@pytest.fixture
def chat(browser: Any, base_url: str) -> Iterator[Chat]:
    session = Chat(browser, base_url)
    yield session
    session.close()


def cited_rows(card: Any) -> set[tuple[str, str]]:
    """(project, amount) of the answer's rows table."""
    rows = card.locator("table.rows tbody tr")
    return {(rows.nth(i).locator("td.project").inner_text(), rows.nth(i).locator("td.amount").inner_text())
            for i in range(rows.count())}


def feedback_listed(store: Path) -> list[dict[str, Any]]:
    out = subprocess.run([*cli(), "feedback", "--json", "--store", str(store)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out)


# -- the tests ----------------------------------------------------------------------------------------
def test_asking_shows_the_rows_the_figure_a_chart_and_answers_a_follow_up(chat: Chat) -> None:
    chat.open()
    chat.page.get_by_role("button", name=SERVICE_DAYS).click()
    first = chat.wait_for_answer()
    assert cited_rows(first) == SERVICE_DAY_ROWS
    assert "411.00" in first.locator(".figures").inner_text()
    assert first.locator(".chart .bar").count() == 2
    assert first.locator("table.rows caption").inner_text().endswith(".md")
    assert first.locator("td.source").first.inner_text().isdigit()

    second = chat.ask("What is their combined budget?")
    assert "411.00" in second.inner_text()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chat.page.locator("#question").blur()
    # a viewport as tall as the page, so the sticky question box sits at the bottom of the picture
    height = chat.page.evaluate("document.documentElement.scrollHeight")
    chat.page.set_viewport_size({"width": 1200, "height": height})
    chat.page.screenshot(path=str(SCREENSHOT))


def test_a_linked_question_is_asked_once_and_leaves_the_address(chat: Chat) -> None:
    """The Slack bot's "see all rows" link: /?q=<question>."""
    chat.open("/?q=Which%20projects%20target%20365%20service%20days%3F")
    card = chat.wait_for_answer()
    assert cited_rows(card) == SERVICE_DAY_ROWS
    assert "411.00" in card.locator(".figures").inner_text()
    assert chat.page.locator(".msg.user").all_inner_texts() == [SERVICE_DAYS]
    assert "q=" not in chat.page.url
    chat.page.reload()
    chat.page.locator("#corpus-summary", has_text="17 projects").wait_for()
    chat.page.wait_for_timeout(300)
    assert chat.page.locator("article.msg.bot").count() == 0


def test_csv_export_downloads_the_cited_rows(chat: Chat) -> None:
    card = chat.open().ask(SERVICE_DAYS)
    with chat.page.expect_download() as download:
        card.locator("button.export-csv").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert {(line[1], line[3]) for line in lines[1:]} == SERVICE_DAY_ROWS
    assert download.value.suggested_filename.endswith(".csv")


def test_thumbs_down_with_a_reason_is_listed_by_the_feedback_command(chat: Chat, store: Path) -> None:
    card = chat.open().ask(SERVICE_DAYS)
    card.locator("button.thumb.down").click()
    card.locator("textarea.reason").fill("单位名称应显示全称")
    card.locator("button.send-feedback").click()
    card.locator(".actions .status", has_text="Thank you").wait_for()
    mine = [f for f in feedback_listed(store) if f["reason"] == "单位名称应显示全称"]
    assert [(f["rating"], f["question"], f["source"]) for f in mine] == [("down", SERVICE_DAYS, "web")]


def test_a_chinese_browser_gets_chinese_labels_and_what_is_indexed(browser: Any, base_url: str) -> None:
    session = Chat(browser, base_url, locale="zh-CN").open()
    try:
        page = session.page
        assert page.locator("#ask-button").inner_text() == "提问"
        page.locator("#corpus-summary", has_text="17 个项目").wait_for()
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        card = session.ask("满意度指标目标不低于95%的项目有哪些？")
        assert card.locator("table.rows th").first.inner_text() == "序号"
    finally:
        session.close()


def test_a_project_name_with_markup_shows_as_text_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    with running(create_app(Settings.load(env={}, store=xss_store(tmp_path)))) as url:
        session = Chat(browser, url).open()
        try:
            card = session.ask(XSS_QUESTION)
            names = card.locator("td.project").all_inner_texts()
            assert XSS_NAME in names
            assert session.page.locator("#log script").count() == 0
            assert XSS_NAME in card.locator(".chart").inner_text()
            session.page.wait_for_timeout(200)
            assert session.dialogs == []
        finally:
            session.close()


def test_with_a_token_the_page_asks_for_it_once_and_then_answers(browser: Any, store: Path,
                                                                 shared_assistant: Assistant) -> None:
    settings = Settings.load(env={"ASSISTANT_API_TOKEN": TOKEN}, store=store)
    with running(create_app(settings, shared_assistant)) as url:
        session = Chat(browser, url).open()
        try:
            page = session.page
            page.locator("#token-panel").wait_for()
            page.fill("#token-input", TOKEN)
            page.click("#token-panel button[type=submit]")
            page.locator("#corpus-summary", has_text="17 projects").wait_for()
            assert cited_rows(session.ask(SERVICE_DAYS)) == SERVICE_DAY_ROWS
        finally:
            session.close()
        linked = Chat(browser, url).open(f"/?token={TOKEN}")
        try:
            linked.page.locator("#corpus-summary", has_text="17 projects").wait_for()
            assert "token" not in linked.page.url
        finally:
            linked.close()
        asked = Chat(browser, url).open(f"/?token={TOKEN}&q=Which%20projects%20target%20365%20service%20days%3F")
        try:
            assert cited_rows(asked.wait_for_answer()) == SERVICE_DAY_ROWS
            assert "token" not in asked.page.url and "q=" not in asked.page.url
        finally:
            asked.close()
