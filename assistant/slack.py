"""The Slack front end: ask in a channel (mention the bot), in a DM, or with ``/budget``; the answer
comes back in the thread of the question, with its cited rows, its figures and 👍/👎 buttons.

Two ways to run, one :class:`SlackBot` (a Bolt app) behind both:

- ``assistant slack``: Socket Mode (``SLACK_APP_TOKEN`` + ``SLACK_BOT_TOKEN``), see :func:`run_socket_mode`;
- ``assistant serve``: HTTP events at ``POST /slack/events`` (``SLACK_BOT_TOKEN`` +
  ``SLACK_SIGNING_SECRET``), added to the web app by :func:`mount_http`.

Slack wants an acknowledgement within 3 seconds, so a listener only acknowledges, posts a short
"working…" message and hands the question to a small worker pool; the worker asks the
:class:`~assistant.core.Assistant` and replaces the placeholder with the answer (``chat.update``).
Each thread is one :class:`~assistant.conversation.Conversation`, so follow-ups in the thread see
the rows of earlier answers. The Web API base URL is ``settings.slack_api_url``, so tests run
against a local fake Slack.
"""
from __future__ import annotations

import html
import json
import logging
import re
import sys
import threading
import time
import traceback
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from .config import Settings
from .errors import AssistantError
from .sessions import ConversationStore
from .slack_blocks import (FEEDBACK_ACTIONS, Message, answer_messages, failure_message, feedback_thanks,
                           usage_text, working_message)

if TYPE_CHECKING:
    from fastapi import FastAPI
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from starlette.requests import Request
    from starlette.responses import Response

    from .answering import Answer
    from .conversation import Conversation
    from .feedback import FeedbackStore

log = logging.getLogger(__name__)


class _SameTokenWarning(logging.Filter):
    """Drops Bolt's start-up warning that SLACK_BOT_TOKEN (which Bolt reads from the environment
    itself) is unused because a client is given: the client carries that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


bolt_log = log.getChild("bolt")  # Bolt's own messages, under this module's name
bolt_log.addFilter(_SameTokenWarning())

COMMAND = "/budget"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few KB; anything this big is not from Slack
ANSWERING_WORKERS = 2  # the engine is CPU-bound and the machine small: more threads only queue


class Asker(Protocol):
    """What the bot needs of the engine: :meth:`assistant.core.Assistant.ask`."""

    def ask(self, question: str, conversation: "Conversation | None" = None) -> "Answer":
        """Answer ``question``, adding the turn to ``conversation`` when one is given."""
        ...


class RecentKeys:
    """Keys seen lately, each with a value: bounded in number (least recently used out first)
    and in age, so that deduplication and thread bookkeeping never grow without end."""

    def __init__(self, max_items: int = 10_000, max_age_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def claim(self, key: str) -> bool:
        """Record ``key``; True the first time it is seen (within the bounds), False after."""
        with self._lock:
            self._expire()
            if key in self._items:
                return False
            self._store(key, "")
            return True

    def get(self, key: str) -> str | None:
        """The value kept for ``key``, or None."""
        with self._lock:
            self._expire()
            found = self._items.get(key)
            return None if found is None else found[1]

    def put(self, key: str, value: str) -> None:
        """Keep ``value`` for ``key`` (refreshing its age)."""
        with self._lock:
            self._store(key, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _store(self, key: str, value: str) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock(), value)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def _expire(self) -> None:
        limit = self._clock() - self.max_age_seconds
        while self._items and next(iter(self._items.values()))[0] < limit:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class Question:
    """A question and where its answer goes. ``thread_ts`` is None for a slash command, whose
    answer starts a thread of its own; ``response_url`` is the way back when posting fails."""

    text: str
    channel: str
    thread_ts: str | None
    user: str | None = None
    response_url: str | None = None


@dataclass(frozen=True)
class Placeholder:
    """The "working…" message that the answer replaces."""

    channel: str
    ts: str


def web_client(settings: Settings) -> WebClient:
    """A Web API client for ``settings.slack_api_url`` (a local fake in tests)."""
    base = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    client = WebClient(token=settings.slack_bot_token, base_url=base, timeout=10)
    # a long answer is several posts in a row: wait out Slack's rate limit rather than drop a part
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def thread_key(channel: str, thread_ts: str) -> str:
    """The conversation key of a Slack thread (also stored with feedback)."""
    return f"slack:{channel}:{thread_ts}"


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question in a message: without the bot's mention, links reduced to their labels,
    Slack's escapes (&amp; &lt; &gt;) undone, whitespace collapsed."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:  # bot id not known yet: the mention that triggered app_mention leads the text
        text = re.sub(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>", " ", text)
    text = re.sub(r"<[^<>|]+\|([^<>]*)>", r"\1", text)  # <url|label>, <#C1|general> -> label
    text = re.sub(r"<([^<>]*)>", r"\1", text)
    return " ".join(html.unescape(text).split())


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value replaced, for logs and messages."""
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    return text


class SlackBot:
    """The Bolt app and what it needs: the engine, conversations by thread, the feedback store."""

    def __init__(self, settings: Settings, assistant: Asker, feedback_store: "FeedbackStore | None" = None,
                 conversations: ConversationStore | None = None, *, workers: int = ANSWERING_WORKERS) -> None:
        from .feedback import FeedbackStore

        self.settings = settings
        self.assistant = assistant
        self.feedback = feedback_store or FeedbackStore.for_settings(settings)
        self.conversations = conversations or ConversationStore()
        self.client = web_client(settings)
        self._deliveries = RecentKeys()  # event_id: Slack's retries of one event
        self._messages = RecentKeys()  # channel:ts: the message + app_mention pair of one message
        self._threads = RecentKeys(max_age_seconds=self.conversations.max_age_seconds)  # key -> conversation id
        # "<thread key>|<user>": who asked the bot in a thread, and so may follow up there without
        # mentioning it again (colleagues talking in the thread are not questions to the bot)
        self._askers = RecentKeys(max_age_seconds=self.conversations.max_age_seconds)
        self._threads_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-answer")
        self.app = self._build_app()

    # -- wiring -------------------------------------------------------------------------------
    def _build_app(self) -> App:
        """The Bolt app. Token verification is deferred to the first request (``auth.test``), so
        that starting the web server never waits on Slack."""
        app = App(
            client=self.client,
            signing_secret=self.settings.slack_signing_secret or "",  # "" stops Bolt reading the env
            token_verification_enabled=False,
            process_before_response=False,  # ack first, then run the listener in a thread
            # acks must never queue behind answers: listeners are short, answers go to self._pool
            listener_executor=ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-listener"),
            name="budget-assistant",
            logger=bolt_log,
        )
        app.use(self._skip_repeated_delivery)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.command(COMMAND)(self.on_command)
        app.action(re.compile(r"^feedback_(up|down)$"))(self.on_feedback)
        app.error(self.on_error)
        return app

    def close(self) -> None:
        """Stop taking new answers (those running finish)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- listeners ----------------------------------------------------------------------------
    def _skip_repeated_delivery(self, body: dict[str, Any], req: BoltRequest,
                                next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002 (Bolt's name)
        """Acknowledge, without answering again, an event already received (Slack retries when
        an ack is late or lost; ``X-Slack-Retry-Num`` counts them)."""
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not self._deliveries.claim(event_id):
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("skipped repeated delivery of Slack event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()

    def on_mention(self, event: dict[str, Any], context: BoltContext) -> None:
        """``@bot question`` in a channel (or a thread): answer in the thread."""
        self._take(event, context.bot_user_id)

    def on_message(self, event: dict[str, Any], context: BoltContext) -> None:
        """A DM, or a follow-up by an earlier asker in a thread the bot answers in (no mention
        needed there)."""
        if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast", "file_share"):
            return  # edits, deletions, joins and bots (our own posts included) are not questions
        thread_ts = event.get("thread_ts")
        follow_up = bool(thread_ts) and self._asked_before(thread_key(str(event.get("channel")), str(thread_ts)),
                                                           event.get("user"))
        if event.get("channel_type") == "im" or follow_up:
            self._take(event, context.bot_user_id)

    def on_command(self, ack: Callable[..., Any], command: dict[str, Any]) -> None:
        """``/budget question``: the answer is posted to the channel and starts a thread."""
        text = (command.get("text") or "").strip()
        if not text or text.lower() == "help":
            ack(usage_text())
            return
        ack()
        self._start(Question(text, str(command.get("channel_id")), None, user=command.get("user_id"),
                             response_url=command.get("response_url")))

    def on_feedback(self, ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                    respond: Callable[..., Any]) -> None:
        """A 👍/👎 click: stored with the web page's feedback (source "slack")."""
        ack()
        rating = FEEDBACK_ACTIONS.get(str(action.get("action_id")), "")
        try:
            item = json.loads(action.get("value") or "{}")
        except ValueError:
            item = {}
        question = item.get("q") if isinstance(item, dict) else None
        if not rating or not question:
            log.warning("ignored a feedback click without its question")
            return
        container = body.get("container") or {}
        extra = {"channel": container.get("channel_id"), "message_ts": container.get("message_ts"),
                 "user": (body.get("user") or {}).get("id"), "team": (body.get("team") or {}).get("id")}
        try:
            self.feedback.add(rating=rating, question=question, answer=str(item.get("a") or ""), source="slack",
                              conversation_id=item.get("k") or None, extra=extra)
            reply = feedback_thanks(rating, question)
        except AssistantError as err:
            self._log_error("could not store Slack feedback", err)
            reply = failure_message(question, self._scrub(str(err))).text
        self._quietly(lambda: respond(text=reply, response_type="ephemeral", replace_original=False))

    def on_error(self, error: Exception) -> None:
        """Whatever escapes a listener is logged (scrubbed); Slack has been acknowledged already."""
        self._log_error("Slack listener failed", error)

    # -- taking a question --------------------------------------------------------------------
    def _take(self, event: dict[str, Any], bot_user_id: str | None) -> None:
        """Answer the message of ``event`` once, in its thread."""
        channel, ts = event.get("channel"), event.get("ts")
        if not channel or not ts or not self._messages.claim(f"{channel}:{ts}"):
            return  # one message fires both `message` and `app_mention`: the second finds it taken
        text = question_text(str(event.get("text") or ""), bot_user_id)
        self._start(Question(text, channel, event.get("thread_ts") or ts, user=event.get("user")))

    def _start(self, question: Question) -> None:
        """Post the "working…" placeholder now, answer in the pool."""
        asker = question.user if question.thread_ts is None else None
        placeholder: Placeholder | None = None
        try:
            sent = self.client.chat_postMessage(channel=question.channel, thread_ts=question.thread_ts,
                                                **working_message(question.text, asker).payload())
            placeholder = Placeholder(str(sent.get("channel") or question.channel), str(sent["ts"]))
        except SlackApiError as err:  # e.g. not_in_channel for /budget in a channel the bot is not in
            self._log_error(f"could not post in {question.channel}", err)
            if not question.response_url:
                return
        self._pool.submit(self._answer, question, placeholder)

    def _answer(self, question: Question, placeholder: Placeholder | None) -> None:
        """Ask the engine and deliver the answer, or a friendly failure; never raises."""
        try:
            thread_ts = question.thread_ts or (placeholder.ts if placeholder else None)
            key = thread_key(question.channel, thread_ts) if thread_ts else None
            if key and question.user:
                self._askers.put(f"{key}|{question.user}", "1")
            asker = question.user if question.thread_ts is None else None
            try:
                answer = self._ask(question.text, key)
                messages = answer_messages(answer, question=question.text, conversation_id=key or "",
                                           public_url=self.settings.public_url, asker=asker)
            except AssistantError as err:
                messages = [failure_message(question.text, self._scrub(str(err)))]
            except Exception as err:  # an engine bug must still end the "working…" message
                self._log_error("answering a Slack question failed", err)
                messages = [failure_message(question.text)]
            self._deliver(question, placeholder, thread_ts, messages)
        except Exception as err:
            self._log_error("delivering a Slack answer failed", err)

    def _asked_before(self, key: str, user: object) -> bool:
        """True when ``user`` asked the bot in the thread ``key`` (recently)."""
        return isinstance(user, str) and f"{key}|{user}" in self._askers

    def _ask(self, text: str, key: str | None) -> "Answer":
        """Ask within the thread's conversation (one at a time per thread, so turns keep order)."""
        if key is None:
            return self.assistant.ask(text)
        with self._threads_lock:
            conversation_id, conversation = self.conversations.get(self._threads.get(key))
            self._threads.put(key, conversation_id)
        with self.conversations.lock(conversation_id):
            return self.assistant.ask(text, conversation)

    # -- delivering ---------------------------------------------------------------------------
    def _deliver(self, question: Question, placeholder: Placeholder | None, thread_ts: str | None,
                 messages: list[Message]) -> None:
        """The first message replaces the placeholder, the rest follow in the thread (or all go
        through the response_url when the bot could not post in the channel)."""
        for i, message in enumerate(messages):
            if placeholder is None:
                self._respond(str(question.response_url), message)
            elif i == 0:
                self._send(lambda **kw: self.client.chat_update(channel=placeholder.channel, ts=placeholder.ts, **kw),
                           message)
            else:
                self._send(lambda **kw: self.client.chat_postMessage(channel=placeholder.channel,
                                                                     thread_ts=thread_ts, **kw), message)

    def _send(self, call: Callable[..., Any], message: Message) -> None:
        """Send ``message``; if Slack refuses its blocks, send its text alone."""
        try:
            call(**message.payload())
        except SlackApiError as err:
            self._log_error("Slack refused a message; sending its text alone", err)
            try:
                call(text=message.text, blocks=[])
            except SlackApiError as again:
                self._log_error("Slack refused the text too", again)

    def _respond(self, url: str, message: Message) -> None:
        """Post ``message`` to a slash command's response_url, visible in the channel."""
        sent = WebhookClient(url, timeout=10).send(response_type="in_channel", replace_original=False,
                                                   **message.payload())
        if sent.status_code != 200:
            log.error("Slack response_url refused a message (HTTP %s)", sent.status_code)

    # -- logging ------------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return scrub(text, self.settings.secrets())

    def _log_error(self, what: str, err: BaseException) -> None:
        """Log ``err`` with its traceback, secrets removed (Slack's refusals: just its reason)."""
        if isinstance(err, SlackApiError):
            log.warning("%s: Slack said %s", what, self._scrub(str(err.response.get("error"))))
            return
        detail = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        log.error("%s: %s", what, self._scrub(detail))

    def _quietly(self, call: Callable[[], Any]) -> None:
        """Run a best-effort Slack call (a courtesy reply); a failure is only logged."""
        try:
            call()
        except Exception as err:
            self._log_error("a Slack reply failed", err)


# -- HTTP mode ----------------------------------------------------------------------------------
def mount_http(app: "FastAPI", assistant: Asker, settings: Settings,
               feedback_store: "FeedbackStore | None" = None) -> SlackBot:
    """Add ``POST /slack/events`` (events, ``/budget`` and button clicks) to the web app.

    Bolt checks the signature (``v0=`` HMAC-SHA256 with ``SLACK_SIGNING_SECRET``) and the
    timestamp (at most 5 minutes old): anything else gets 401.
    """
    from slack_sdk.signature import SignatureVerifier
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    if not (settings.slack_bot_token and settings.slack_signing_secret):
        raise AssistantError("set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to receive Slack events over HTTP")
    bot = SlackBot(settings, assistant, feedback_store)
    verifier = SignatureVerifier(settings.slack_signing_secret)

    async def slack_events(request: "Request") -> "Response":
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        text = body.decode("utf-8", errors="replace")
        try:
            bolt_request = BoltRequest(body=text, query=request.url.query, headers=dict(request.headers))
        except ValueError:  # unparseable body: say 401 unless it is signed, then it is just bad
            signed = verifier.is_valid(body, request.headers.get("x-slack-request-timestamp", "0"),
                                       request.headers.get("x-slack-signature", ""))
            return Response(status_code=400 if signed else 401)
        # dispatch blocks until the listener acks (or auth.test returns): keep it off the event loop
        reply: BoltResponse = await run_in_threadpool(bot.app.dispatch, bolt_request)
        return Response(status_code=reply.status, content=reply.body,
                        headers=reply.first_headers_without_set_cookie())

    app.add_route("/slack/events", slack_events, methods=["POST"], include_in_schema=False)
    app.state.slack_bot = bot
    return bot


# -- Socket Mode --------------------------------------------------------------------------------
def socket_mode_handler(settings: Settings, assistant: Asker | None = None,
                        feedback_store: "FeedbackStore | None" = None) -> "SocketModeHandler":
    """A Socket Mode connection for the bot (not yet connected); checks the bot token first."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if not (settings.slack_app_token and settings.slack_bot_token):
        raise AssistantError("set SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) to run the Slack bot")
    if assistant is None:
        from .core import Assistant

        engine = Assistant(settings)
        engine.corpus()  # build or open the store now: a store error stops start-up, not a question
        assistant = engine
    bot = SlackBot(settings, assistant, feedback_store)
    _check_token(bot.client, settings)
    return SocketModeHandler(bot.app, app_token=settings.slack_app_token)


def _check_token(client: WebClient, settings: Settings) -> None:
    """Fail at start-up, in one line, when Slack refuses the bot token or cannot be reached."""
    try:
        client.auth_test()
    except SlackApiError as err:
        raise AssistantError(f"Slack refused SLACK_BOT_TOKEN ({err.response.get('error')}); "
                             "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page") from None
    except OSError as err:
        raise AssistantError(scrub(f"cannot reach Slack at {settings.slack_api_url}: {err}", settings.secrets())) from None


def run_socket_mode(settings: Settings) -> None:
    """``assistant slack``: connect to Slack over Socket Mode and answer until Ctrl-C."""
    handler = socket_mode_handler(settings)
    try:
        handler.connect()
    except SlackApiError as err:
        raise AssistantError(f"Slack refused SLACK_APP_TOKEN ({err.response.get('error')}); use an app-level "
                             "token (xapp-…) with the connections:write scope") from None
    except OSError as err:
        raise AssistantError(scrub(f"cannot reach Slack: {err}", settings.secrets())) from None
    print(f"Slack bot connected (Socket Mode); mention it, DM it or use {COMMAND}. Ctrl-C stops it.",
          file=sys.stderr)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
