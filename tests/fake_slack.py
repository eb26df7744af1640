"""A fake Slack Web API on 127.0.0.1: records every call and answers the way Slack does.

The bot under test is pointed at it with ``ASSISTANT_SLACK_API_URL`` (``settings.slack_api_url``);
``response_url`` links point at ``/response/<name>`` on the same server. Tests wait for the
bot's background posts with :meth:`FakeSlack.wait_for` (a bounded poll, never a fixed sleep).
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"
T = TypeVar("T")


@dataclass
class Call:
    """One request the bot made: a Web API method (``chat.postMessage``) or ``response:<name>``."""

    method: str
    params: dict[str, Any]
    token: str | None = None
    reply: dict[str, Any] = field(default_factory=dict)  # what the fake answered

    def texts(self) -> list[str]:
        """Every text in the message: ``text`` and the mrkdwn of each block."""
        out = [str(self.params.get("text") or "")]
        for block in self.blocks():
            if isinstance(block.get("text"), dict):
                out.append(block["text"].get("text", ""))
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("type") == "mrkdwn":
                    out.append(element.get("text", ""))
        return out

    def all_text(self) -> str:
        """:meth:`texts` joined, for ``in`` checks."""
        return "\n".join(self.texts())

    def blocks(self) -> list[dict[str, Any]]:
        """The message's blocks (decoded when they came form-encoded)."""
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


@dataclass
class FakeSlack:
    """The server; use as a context manager. ``fail(method, error)`` makes a method fail."""

    token: str = "xoxb-test-token"
    app_token: str = "xapp-test-token"
    socket_url: str | None = None  # what apps.connections.open hands out (Socket Mode tests)
    _calls: list[Call] = field(default_factory=list)
    _failures: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None

    # -- life -----------------------------------------------------------------------------
    def __enter__(self) -> "FakeSlack":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "use FakeSlack as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The Web API base URL, for ``settings.slack_api_url``."""
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        """A response_url (slash commands, button clicks) that records what is posted to it."""
        return f"{self.base}/response/{name}"

    # -- scripting and inspection -----------------------------------------------------------
    def fail(self, method: str, error: str) -> None:
        """Make every later call of ``method`` answer ``{"ok": false, "error": error}``."""
        self._failures[method] = error

    def calls(self, method: str | None = None) -> list[Call]:
        """Calls so far (of ``method`` only, when given), oldest first."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, check: Callable[[], T], timeout: float = 20.0, what: str = "the bot") -> T:
        """Poll ``check`` until it returns something truthy; fail the test after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; calls: "
                                     f"{[(c.method, c.params.get('text')) for c in self.calls()]}")
            time.sleep(0.02)

    def wait_for_call(self, method: str, where: Callable[[Call], bool] = lambda c: True,
                      timeout: float = 20.0) -> Call:
        """The first call of ``method`` for which ``where`` holds, waiting for it if need be."""
        return self.wait_for(lambda: next((c for c in self.calls(method) if where(c)), None), timeout,
                             what=f"a {method} call")

    # -- answering ----------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _next_ts(self) -> str:
        with self._lock:
            return f"1800000000.{next(self._ts):06d}"

    def answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Slack's reply to ``method``."""
        if method in self._failures:
            return {"ok": False, "error": self._failures[method]}
        if method == "apps.connections.open":
            if token != self.app_token or not self.socket_url:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "budgetbot",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {"ok": True, "channel": params.get("channel"), "ts": ts,
                    "message": {"text": params.get("text"), "ts": ts, "bot_id": BOT_ID}}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"), "text": params.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        return {"ok": False, "error": "unknown_method"}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to ``fake``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size).decode("utf-8")
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(raw or "{}")
            else:
                params = dict(parse_qsl(raw, keep_blank_values=True))
            auth = self.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ") or params.get("token")
            if self.path.startswith("/response/"):
                fake._record(Call("response:" + self.path.removeprefix("/response/"), params, token))
                self._send(200, b"ok", "text/plain")
                return
            method = self.path.removeprefix("/api/").split("?")[0]
            reply = fake.answer(method, params, token)
            fake._record(Call(method, params, token, reply))
            self._send(200, json.dumps(reply).encode(), "application/json")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet test output

    return Handler
