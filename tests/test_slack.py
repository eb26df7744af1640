"""The Slack bot, end to end: real signed HTTP requests to the real web app (uvicorn on a free
port), Slack's Web API played by a local fake (tests/fake_slack.py), and the real engine where the
answer matters (411.00 万元 for the 365-day projects) or a scripted one where only the plumbing does.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import httpx
import pytest

from assistant.answering import Answer, CitedRow, Figure
from assistant.config import Settings
from assistant.conversation import Conversation
from assistant.errors import AssistantError, StoreError
from assistant.feedback import FeedbackStore
from assistant.records import Project, Source
from assistant.slack import question_text, run_socket_mode, socket_mode_handler
from assistant.slack_blocks import MAX_BLOCKS, MAX_SECTION_CHARS, answer_messages
from assistant.web import create_app

from servers import running
from fake_slack import BOT_USER_ID, Call, FakeSlack, FakeSocketMode

pytestmark = pytest.mark.server

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret-0123456789"
CHANNEL = "C0SLACKTEST"
MENTION = f"<@{BOT_USER_ID}>"


# -- a scripted engine, for tests where the answer's content does not matter -------------------
def project(name: str, total: str, line: int, unit: str = "中共广州市委外事工作委员会办公室") -> Project:
    """A project row as the parser would make it."""
    amount = Decimal(total)
    return Project(id=f"sample.md#{line}", name=name, unit=unit, department="广州市外办", total=amount,
                   fiscal=amount, special=Decimal("0.00"), other=Decimal("0.00"), goal="", withheld=False,
                   indicators=[], source=Source("sample.md", line))


def answer(text: str = "Two projects target 365 service days [1] [2].", rows: int = 2,
           figures: list[Figure] | None = None) -> Answer:
    """An answered Answer with ``rows`` cited rows."""
    cited = [CitedRow(project(f"项目{n}", f"{n}.00", 10 + n), [f"产出指标：运营天数，年度指标值：365天 ({n})"])
             for n in range(1, rows + 1)]
    return Answer("answered", text, cited, figures or [], "en")


class ScriptedEngine:
    """Answers every question with ``reply`` (an Answer, or an exception to raise); records asks."""

    def __init__(self, reply: Answer | BaseException | None = None, gate: threading.Event | None = None) -> None:
        self.reply = reply or answer()
        self.gate = gate
        self.asked: list[tuple[str, Conversation | None]] = []

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        self.asked.append((question, conversation))
        if self.gate is not None:
            assert self.gate.wait(20), "the test never opened the gate"
        if isinstance(self.reply, BaseException):
            raise self.reply
        if conversation is not None:
            conversation.add(question, self.reply)
        return self.reply


# -- serving and signing -------------------------------------------------------------------------
@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` (lifespan on) and close its Slack bot afterwards; yields its base URL."""
    try:
        with running(app, lifespan="auto") as url:
            yield url
    finally:
        slack_bot = getattr(app.state, "slack_bot", None)
        if slack_bot is not None:
            slack_bot.close()


def signed_headers(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET,
                   content_type: str = "application/json") -> dict[str, str]:
    """Headers exactly as Slack sends them: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


class Slack:
    """Plays Slack's side of the HTTP mode: signed deliveries to ``/slack/events``."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/slack/events"
        self._ids = iter(range(1, 10_000))
        self._ts = iter(range(1, 10_000))

    def new_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def post(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url, content=body.encode(), headers=headers, timeout=10)

    def event(self, event: dict[str, Any], event_id: str | None = None,
              headers: dict[str, str] | None = None, **sign: Any) -> httpx.Response:
        """Deliver an Events API callback; returns Slack's view of the reply."""
        body = json.dumps({"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001",
                           "event_id": event_id or f"Ev{next(self._ids):08d}", "event_time": int(time.time()),
                           "event": event}, ensure_ascii=False)
        return self.post(body, {**signed_headers(body, **sign), **(headers or {})})

    def mention(self, text: str, ts: str, thread_ts: str | None = None, **kw: Any) -> httpx.Response:
        event = {"type": "app_mention", "user": "U0REVIEWER", "text": f"{MENTION} {text}", "ts": ts,
                 "channel": CHANNEL, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kw)

    def message(self, text: str, ts: str, thread_ts: str | None = None, channel: str = CHANNEL,
                channel_type: str = "channel", **kw: Any) -> httpx.Response:
        event = {"type": "message", "user": "U0REVIEWER", "text": text, "ts": ts, "channel": channel,
                 "channel_type": channel_type, "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kw)

    def form(self, fields: dict[str, str]) -> httpx.Response:
        body = urlencode(fields)
        return self.post(body, signed_headers(body, content_type="application/x-www-form-urlencoded"))

    def command(self, text: str, response_url: str, channel: str = CHANNEL) -> httpx.Response:
        return self.form({"command": "/budget", "text": text, "channel_id": channel, "user_id": "U0REVIEWER",
                          "team_id": "T0001", "response_url": response_url, "trigger_id": "1.2.3"})

    def click(self, action: dict[str, Any], message_ts: str, response_url: str) -> httpx.Response:
        payload = {"type": "block_actions", "user": {"id": "U0REVIEWER"}, "team": {"id": "T0001"},
                   "api_app_id": "A0001", "trigger_id": "1.2.3", "response_url": response_url,
                   "container": {"type": "message", "channel_id": CHANNEL, "message_ts": message_ts},
                   "channel": {"id": CHANNEL}, "message": {"ts": message_ts, "text": "…"}, "actions": [action]}
        return self.form({"payload": json.dumps(payload, ensure_ascii=False)})


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=BOT_TOKEN) as fake:
        yield fake


def slack_settings(base: Settings, fake: FakeSlack, **more: Any) -> Settings:
    """``base`` with the bot's tokens and the fake Web API."""
    return dataclasses.replace(base, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                               slack_api_url=fake.api_url, **more)


@contextmanager
def bot(settings: Settings, engine: Any = None) -> Iterator[Slack]:
    """The web app with Slack mounted, served; yields Slack's side of it."""
    with served(create_app(settings, engine)) as base:
        yield Slack(base)


@pytest.fixture
def scripted_settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    """Settings for a scripted engine (the store folder only holds feedback)."""
    return slack_settings(Settings.load(env={}, store=tmp_path / "store"), fake_slack)


def update_of(fake: FakeSlack, placeholder: Call) -> Call:
    """The ``chat.update`` that replaced ``placeholder`` (waiting for it)."""
    return fake.wait_for_call("chat.update", lambda c: c.params.get("ts") == placeholder.reply["ts"])


def posts_in_thread(fake: FakeSlack, thread_ts: str) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage") if c.params.get("thread_ts") == thread_ts]


def answered_in_thread(fake: FakeSlack, thread_ts: str) -> Call:
    """Wait for the answer to the question at ``thread_ts`` (its placeholder, then the update).

    Used as a barrier: deliveries made before it were dispatched before it, so by the time it is
    answered anything they would have posted is posted.
    """
    placeholder = fake.wait_for(lambda: posts_in_thread(fake, thread_ts), what=f"a reply in {thread_ts}")[0]
    return update_of(fake, placeholder)


# -- the real engine -----------------------------------------------------------------------------
def test_signed_mention_gets_one_threaded_reply_with_the_total(settings: Settings, assistant: Any,
                                                               fake_slack: FakeSlack) -> None:
    with bot(slack_settings(settings, fake_slack), assistant) as slack:
        ts = slack.new_ts()
        reply = slack.mention("哪些项目的年度指标值是365天？", ts)
        assert reply.status_code == 200
        placeholder = fake_slack.wait_for_call("chat.postMessage")
        assert placeholder.params["thread_ts"] == ts and placeholder.params["channel"] == CHANNEL
        assert placeholder.token == BOT_TOKEN
        answered = update_of(fake_slack, placeholder)
        assert "411.00" in answered.all_text()
        assert "广州外事宣传项目" in answered.all_text()
        time.sleep(0.2)  # a second reply would have been posted by now
        assert len(fake_slack.calls("chat.postMessage")) == 1 and len(fake_slack.calls("chat.update")) == 1


def test_follow_up_in_the_thread_uses_the_earlier_rows(settings: Settings, assistant: Any,
                                                       fake_slack: FakeSlack) -> None:
    with bot(slack_settings(settings, fake_slack), assistant) as slack:
        first = slack.new_ts()
        slack.mention("Which projects target 365 service days?", first)
        update_of(fake_slack, fake_slack.wait_for_call("chat.postMessage"))
        # no mention needed in a thread the bot answers in
        slack.message("What is their combined budget?", slack.new_ts(), thread_ts=first)
        follow_up = fake_slack.wait_for(lambda: posts_in_thread(fake_slack, first)[1:], what="the follow-up")[0]
        assert "411.00" in update_of(fake_slack, follow_up).all_text()


def test_slash_command_posts_the_answer_to_the_channel(settings: Settings, assistant: Any,
                                                       fake_slack: FakeSlack) -> None:
    with bot(slack_settings(settings, fake_slack), assistant) as slack:
        reply = slack.command("哪些项目的年度指标值是365天？", fake_slack.response_url("cmd"))
        assert reply.status_code == 200
        placeholder = fake_slack.wait_for_call("chat.postMessage")
        assert placeholder.params["channel"] == CHANNEL and "thread_ts" not in placeholder.params
        answered = update_of(fake_slack, placeholder)
        assert "411.00" in answered.all_text() and "<@U0REVIEWER>" in answered.all_text()


# -- requests Slack did not sign -----------------------------------------------------------------
@pytest.mark.parametrize("tamper", ["forged", "stale", "missing"])
def test_unsigned_or_stale_requests_get_401_and_no_post(tamper: str, scripted_settings: Settings,
                                                        fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with bot(scripted_settings, engine) as slack:
        body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {
            "type": "app_mention", "user": "U1", "text": f"{MENTION} hi", "ts": "1.1", "channel": CHANNEL}})
        headers = {
            "forged": signed_headers(body, secret="not-the-signing-secret"),
            "stale": signed_headers(body, timestamp=int(time.time()) - 6 * 60),
            "missing": {"Content-Type": "application/json"},
        }[tamper]
        assert slack.post(body, headers).status_code == 401
        # a genuine event afterwards is answered, and it is the only one
        genuine = slack.new_ts()
        slack.mention("hi", genuine)
        answered_in_thread(fake_slack, genuine)
        assert len(fake_slack.calls("chat.postMessage")) == 1 and len(engine.asked) == 1


# -- never answering twice ------------------------------------------------------------------------
def test_retried_delivery_posts_nothing_new(scripted_settings: Settings, fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with bot(scripted_settings, engine) as slack:
        ts = slack.new_ts()
        assert slack.mention("hi", ts, event_id="EvRETRY").status_code == 200
        update_of(fake_slack, fake_slack.wait_for_call("chat.postMessage"))
        retry = slack.mention("hi", ts, event_id="EvRETRY",
                              headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        assert retry.status_code == 200
        barrier = slack.new_ts()  # a later event: once it is answered, a retry's post would be too
        slack.mention("hi again", barrier)
        answered_in_thread(fake_slack, barrier)
        assert len(posts_in_thread(fake_slack, ts)) == 1 and len(engine.asked) == 2


@pytest.mark.parametrize("channel_type", ["im", "channel"])
def test_message_and_app_mention_of_one_message_answer_once(channel_type: str, scripted_settings: Settings,
                                                            fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with bot(scripted_settings, engine) as slack:
        thread = slack.new_ts()
        if channel_type == "channel":  # in a channel, `message` events count inside the bot's threads
            slack.mention("first", thread)
            fake_slack.wait_for(lambda: len(engine.asked) == 1, what="the first answer")
        ts = slack.new_ts()
        slack.message(f"{MENTION} second", ts, thread_ts=thread, channel_type=channel_type)
        slack.mention("second", ts, thread_ts=thread)
        barrier = slack.new_ts()
        slack.mention("barrier", barrier)
        answered_in_thread(fake_slack, barrier)
        fake_slack.wait_for(lambda: len(engine.asked) >= (3 if channel_type == "channel" else 2), what="asks")
        assert [q for q, _ in engine.asked].count("second") == 1


def test_direct_message_is_answered_in_its_thread(scripted_settings: Settings, fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with bot(scripted_settings, engine) as slack:
        ts = slack.new_ts()
        slack.message("预算 &gt; 100万元的项目", ts, channel="D0DM", channel_type="im")
        placeholder = fake_slack.wait_for_call("chat.postMessage")
        assert placeholder.params["channel"] == "D0DM" and placeholder.params["thread_ts"] == ts
        update_of(fake_slack, placeholder)
        assert engine.asked[0][0] == "预算 > 100万元的项目"


def test_channel_chatter_and_colleagues_in_the_bots_thread_are_ignored(scripted_settings: Settings,
                                                             fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with bot(scripted_settings, engine) as slack:
        assert slack.message("lunch?", slack.new_ts()).status_code == 200
        asked = slack.new_ts()
        slack.mention("first", asked)
        answered_in_thread(fake_slack, asked)
        colleague = {"type": "message", "user": "U0COLLEAGUE", "text": "thanks, looks right", "ts": slack.new_ts(),
                     "thread_ts": asked, "channel": CHANNEL, "channel_type": "channel"}
        assert slack.event(colleague).status_code == 200
        edit = {"type": "message", "subtype": "message_changed", "channel": "D0DM", "channel_type": "im",
                "ts": slack.new_ts(), "message": {"text": "edited", "user": "U0REVIEWER"}}
        assert slack.event(edit).status_code == 200
        assert slack.message("a DM", slack.new_ts(), channel="D0DM", channel_type="im").status_code == 200
        barrier = slack.new_ts()
        slack.mention("barrier", barrier)
        answered_in_thread(fake_slack, barrier)
        fake_slack.wait_for(lambda: len(engine.asked) >= 3, what="the DM")
        assert sorted(q for q, _ in engine.asked) == ["a DM", "barrier", "first"]


def test_slack_is_acknowledged_before_the_answer_is_ready(scripted_settings: Settings,
                                                          fake_slack: FakeSlack) -> None:
    gate = threading.Event()
    engine = ScriptedEngine(gate=gate)
    with bot(scripted_settings, engine) as slack:
        started = time.monotonic()
        assert slack.mention("slow one", slack.new_ts()).status_code == 200
        assert slack.command("slow two", fake_slack.response_url("c")).status_code == 200
        assert time.monotonic() - started < 3
        placeholders = fake_slack.wait_for(lambda: fake_slack.calls("chat.postMessage")[1:], what="two placeholders")
        assert all("Working on it" in c.all_text() for c in placeholders)
        assert not fake_slack.calls("chat.update")
        gate.set()
        fake_slack.wait_for(lambda: len(fake_slack.calls("chat.update")) == 2, what="both answers")


# -- feedback ------------------------------------------------------------------------------------
def test_feedback_click_is_stored_with_the_web_feedback(scripted_settings: Settings,
                                                        fake_slack: FakeSlack) -> None:
    with bot(scripted_settings, ScriptedEngine()) as slack:
        ts = slack.new_ts()
        slack.mention("Which projects target 365 service days?", ts)
        placeholder = fake_slack.wait_for_call("chat.postMessage")
        answered = update_of(fake_slack, placeholder)
        buttons = next(b for b in answered.blocks() if b["type"] == "actions")["elements"]
        down = next(b for b in buttons if b["action_id"] == "feedback_down")
        reply = slack.click(down, answered.params["ts"], fake_slack.response_url("click"))
        assert reply.status_code == 200
        thanks = fake_slack.wait_for_call("response:click")
        assert "👎" in thanks.params["text"] and thanks.params["response_type"] == "ephemeral"
    [item] = FeedbackStore.for_settings(scripted_settings).list()
    assert item["rating"] == "down" and item["source"] == "slack"
    assert item["question"] == "Which projects target 365 service days?"
    assert item["answer"].startswith("Two projects target 365 service days")
    assert item["conversation_id"] == f"slack:{CHANNEL}:{ts}"
    assert item["extra"]["user"] == "U0REVIEWER"


# -- long answers and failures -------------------------------------------------------------------
def test_long_answer_is_split_under_slacks_limits(scripted_settings: Settings, fake_slack: FakeSlack) -> None:
    text = "\n".join(f"Line {n}: " + "预算 & <指标> " * 40 for n in range(200))  # ~100k characters escaped
    figures = [Figure(f"合计 {n}", f"{n}.00", "万元", f"{n}.00 + 0.00") for n in range(30)]
    engine = ScriptedEngine(answer(text, rows=14, figures=figures))
    with bot(dataclasses.replace(scripted_settings, public_url="https://budget.example.org"), engine) as slack:
        ts = slack.new_ts()
        slack.mention("everything", ts)
        placeholder = fake_slack.wait_for_call("chat.postMessage")
        first = update_of(fake_slack, placeholder)
        fake_slack.wait_for(lambda: any(b["type"] == "actions" for c in posts_in_thread(fake_slack, ts)
                                        for b in c.blocks()), what="the last part")
        parts = [first] + posts_in_thread(fake_slack, ts)[1:]
        assert len(parts) >= 2  # about 65 blocks: two messages
        for part in parts:
            assert 0 < len(part.blocks()) <= MAX_BLOCKS
            assert all(len(t) <= MAX_SECTION_CHARS for t in part.texts())
        shown = "\n".join(part.all_text() for part in parts)
        assert "Line 199:" in shown and "&lt;指标&gt;" in shown and "<指标>" not in shown
        assert "…and 4 more" in shown and "https://budget.example.org/?q=everything" in shown
        assert "合计 29" in shown and "`29.00 + 0.00`" in shown


@pytest.mark.parametrize("failure, expected", [
    (StoreError("the index is missing; run `assistant ingest index/sources`"), "the index is missing"),
    (RuntimeError(f"boom with {BOT_TOKEN} and {SIGNING_SECRET}"), "please try again"),
])
def test_engine_failure_becomes_a_friendly_thread_message(failure: Exception, expected: str,
                                                          scripted_settings: Settings, fake_slack: FakeSlack,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with bot(scripted_settings, ScriptedEngine(failure)) as slack:
        ts = slack.new_ts()
        slack.mention("Which projects target 365 service days?", ts)
        answered = update_of(fake_slack, fake_slack.wait_for_call("chat.postMessage"))
    shown = answered.all_text()
    assert "Sorry, I couldn't answer that" in shown and expected in shown
    assert "Traceback" not in shown and "RuntimeError" not in shown
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in shown and secret not in caplog.text


def test_blocks_slack_refuses_are_sent_as_text(scripted_settings: Settings, fake_slack: FakeSlack) -> None:
    with bot(scripted_settings, ScriptedEngine()) as slack:
        fake_slack.fail("chat.update", "invalid_blocks")
        slack.mention("hi", slack.new_ts())
        fake_slack.wait_for(lambda: len(fake_slack.calls("chat.update")) == 2, what="the text-only retry")
        assert fake_slack.calls("chat.update")[1].blocks() == []


def test_slash_command_in_a_channel_without_the_bot_answers_via_response_url(
        scripted_settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", "not_in_channel")
    with bot(scripted_settings, ScriptedEngine()) as slack:
        assert slack.command("Which projects target 365 service days?", fake_slack.response_url("cmd")).status_code == 200
        reply = fake_slack.wait_for_call("response:cmd")
        assert reply.params["response_type"] == "in_channel" and "365 service days" in reply.all_text()


def test_empty_slash_command_shows_usage(scripted_settings: Settings, fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with bot(scripted_settings, engine) as slack:
        reply = slack.command("  ", fake_slack.response_url("cmd"))
        assert reply.status_code == 200 and "/budget" in reply.text
        assert not engine.asked


# -- Socket Mode ---------------------------------------------------------------------------------
def test_socket_mode_answers_a_mention_once_and_acks_every_envelope(scripted_settings: Settings,
                                                                    fake_slack: FakeSlack) -> None:
    engine = ScriptedEngine()
    with FakeSocketMode() as slack_end:
        fake_slack.socket_url = slack_end.url
        settings = dataclasses.replace(scripted_settings, slack_signing_secret=None,
                                       slack_app_token=fake_slack.app_token)
        handler = socket_mode_handler(settings, engine)
        handler.connect()
        try:
            slack_end.wait_connected()
            ts = "1700000000.000001"
            event = {"type": "app_mention", "user": "U0REVIEWER", "text": f"{MENTION} hi", "ts": ts, "channel": CHANNEL}
            envelope = {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                        "retry_attempt": 0, "retry_reason": "",
                        "payload": {"type": "event_callback", "team_id": "T0001", "event_id": "EvSOCKET", "event": event}}
            slack_end.send(envelope)
            assert "Two projects" in answered_in_thread(fake_slack, ts).all_text()
            slack_end.send({**envelope, "envelope_id": "env-2", "retry_attempt": 1, "retry_reason": "timeout"})
            slack_end.send({"envelope_id": "env-3", "type": "slash_commands", "accepts_response_payload": True,
                            "payload": {"command": "/budget", "text": "", "channel_id": CHANNEL, "user_id": "U1"}})
            acks = fake_slack.wait_for(lambda: {a["envelope_id"]: a for a in slack_end.acks if "envelope_id" in a}
                                       if len(slack_end.acks) >= 3 else None, what="three acks")
            assert set(acks) == {"env-1", "env-2", "env-3"} and "/budget" in acks["env-3"]["payload"]["text"]
            assert len(engine.asked) == 1 and len(fake_slack.calls("chat.postMessage")) == 1
        finally:
            handler.close()


# -- pieces --------------------------------------------------------------------------------------
def test_question_text_drops_the_mention_and_slack_markup() -> None:
    assert question_text(f"{MENTION}  预算 &gt;= 100 &amp; <https://x.org|这里>", BOT_USER_ID) == "预算 >= 100 & 这里"
    assert question_text(f"{MENTION} hi", None) == "hi"


def test_document_text_is_escaped_in_blocks() -> None:
    reply = Answer("answered", "A & B [1]", [CitedRow(project("<研究> & 交流", "1.00", 3), ["a<b>"])], [], "zh")
    [message] = answer_messages(reply, question="q", conversation_id="k")
    shown = "\n".join(Call("m", message.payload()).texts())
    assert "&lt;研究&gt; &amp; 交流" in shown and "a&lt;b&gt;" in shown and "A &amp; B [1]" in shown


def test_assistant_slack_answers_over_socket_mode_until_ctrl_c(settings: Settings, fake_slack: FakeSlack) -> None:
    with FakeSocketMode() as slack_end:
        fake_slack.socket_url = slack_end.url
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ASSISTANT_", "OPENAI_"))}
        env.update(SLACK_APP_TOKEN=fake_slack.app_token, SLACK_BOT_TOKEN=BOT_TOKEN,
                   ASSISTANT_SLACK_API_URL=fake_slack.api_url)
        command = [sys.executable, "-m", "assistant.cli", "slack", "--store", str(settings.store)]
        bot_process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        try:
            slack_end.wait_connected(60)
            event = {"type": "app_mention", "user": "U0REVIEWER", "ts": "1700000000.000001", "channel": CHANNEL,
                     "text": f"{MENTION} Which projects target 365 service days?"}
            slack_end.send({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                            "payload": {"type": "event_callback", "event_id": "EvCLI", "event": event}})
            assert "411.00" in answered_in_thread(fake_slack, event["ts"]).all_text()
            bot_process.send_signal(signal.SIGINT)
            _, stderr = bot_process.communicate(timeout=15)
            assert bot_process.returncode == 0 and "Slack bot connected" in stderr
        finally:
            if bot_process.poll() is None:
                bot_process.kill()


def test_socket_mode_without_tokens_says_what_to_set() -> None:
    with pytest.raises(AssistantError, match="SLACK_APP_TOKEN"):
        run_socket_mode(Settings.load(env={}))


@pytest.mark.parametrize("token, expected", [("slack_bot_token", "SLACK_BOT_TOKEN"),
                                             ("slack_app_token", "SLACK_APP_TOKEN")])
def test_socket_mode_with_a_refused_token_fails_in_one_line(token: str, expected: str, settings: Settings,
                                                             fake_slack: FakeSlack) -> None:
    wrong = "xoxb-wrong-0000" if token == "slack_bot_token" else "xapp-wrong-0000"
    good = slack_settings(settings, fake_slack, slack_app_token=fake_slack.app_token)
    with pytest.raises(AssistantError, match=expected) as refused:
        run_socket_mode(dataclasses.replace(good, **{token: wrong}))
    assert wrong not in str(refused.value) and "\n" not in str(refused.value)


def test_manifest_subscribes_to_what_the_bot_handles() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load((Path(__file__).parent.parent / "docs" / "slack-manifest.yaml").read_text("utf-8"))
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_mention", "message.im", "message.channels"} <= set(events)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/budget"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history", "channels:history"} <= scopes
