"""A fake Slack Web API on 127.0.0.1: records every call and answers the way Slack does.

The bot under test is pointed at it with ``ASSISTANT_SLACK_API_URL`` (``settings.slack_api_url``);
``response_url`` links point at ``/response/<name>`` on the same server. Tests wait for the
bot's background posts with :meth:`FakeSlack.wait_for` (a bounded poll, never a fixed sleep).
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
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


class FakeSocketMode:
    """Slack's end of Socket Mode: a minimal WebSocket server (stdlib only) that sends envelopes
    to the connected app and records the acknowledgements it sends back.

    Hand :attr:`url` to :class:`FakeSlack` as ``socket_url`` (``apps.connections.open`` returns it).
    """

    _GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._connected = threading.Event()

    def __enter__(self) -> "FakeSocketMode":
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in (self._conn, self._listener):
            if sock is not None:
                sock.close()

    @property
    def url(self) -> str:
        assert self._listener is not None, "use FakeSocketMode as a context manager"
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake"

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait for the app to open the WebSocket (and say hello, as Slack does)."""
        assert self._connected.wait(timeout), "the app did not connect over Socket Mode"

    def send(self, envelope: dict[str, Any]) -> None:
        """Send one envelope (``events_api``, ``slash_commands``, ``interactive``) as a text frame."""
        assert self._conn is not None, "no app connected"
        data = json.dumps(envelope, ensure_ascii=False).encode()
        self._frame(0x1, data)

    # -- the protocol -------------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = next(line.split(":", 1)[1].strip() for line in request.decode().split("\r\n")
                   if line.lower().startswith("sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1((key + self._GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        self._conn = conn
        self.send({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self._connected.set()
        try:
            self._read_frames(conn)
        except OSError:
            pass

    def _read_frames(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while True:
            head = reader.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", reader.read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", reader.read(8))[0]
            mask = reader.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(length)))
            if opcode == 0x1:
                self.acks.append(json.loads(data))
            elif opcode == 0x9:  # ping -> pong
                self._frame(0xA, data)
            elif opcode == 0x8:  # close -> close
                self._frame(0x8, data[:2])
                return

    def _frame(self, opcode: int, data: bytes) -> None:
        """Send one unmasked frame (servers do not mask)."""
        size = len(data)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self._send_lock:
            assert self._conn is not None
            self._conn.sendall(header + data)
