"""The web chat and its HTTP API; every question is one call of :meth:`Assistant.ask`.

    GET  /                     the chat page (scripts, styles and icons all served from /static)
    GET  /api/health           liveness, whether a token is needed, the question length limit
    GET  /api/documents        what is indexed: documents, departments, units, projects, totals
    POST /api/ask              {"question", "conversation_id"?} -> the --json contract
                               + conversation_id (send it back for follow-ups) + answer_id
    POST /api/ask/stream       the same as server-sent events: progress, delta (answer text in
                               chunks), answer (the final JSON) or error
    POST /api/export?format=   csv (UTF-8 with BOM, for Excel) or xlsx of an answer's rows
                               (built by assistant.exporting)
    POST /api/feedback         thumbs up/down with an optional reason (FeedbackStore)
    POST /slack/events         when Slack is configured (assistant.slack.mount_http)

Errors are ``{"error": "one line"}`` with a 4xx/5xx status; secrets are scrubbed from responses
and logs. Bound to a non-loopback address the server needs ``ASSISTANT_API_TOKEN`` and then
requires ``Authorization: Bearer <token>`` on the API.
"""
from __future__ import annotations

import asyncio
import copy
import hmac
import ipaddress
import json
import logging
import socket
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Literal

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import Settings
from .errors import AssistantError, InputError, LLMError, QuestionError, StoreError
from .exporting import EXPORT_TYPES, ExportRow, export_file
from .feedback import FeedbackStore
from .sessions import AnswerCache, ConversationStore

if TYPE_CHECKING:
    from .core import Assistant

log = logging.getLogger("assistant.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_BODY_LIMIT = 1024 * 1024  # bytes; export requests may carry a few hundred rows
BODY_LIMITS = {"/api/ask": 16 * 1024, "/api/ask/stream": 16 * 1024, "/api/feedback": 128 * 1024}
MAX_ASKS_AT_ONCE = 4  # questions answered in parallel; more wait (the box has few cores)
STREAM_CHUNKS = 40  # the answer text is sent in about this many pieces
STREAM_PAUSE = 0.012  # seconds between pieces, so the text visibly forms
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


# -- errors and secrets -------------------------------------------------------------------------
class ApiError(Exception):
    """An error with an HTTP status and a one-line message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


def scrub(text: str, secret_values: list[str]) -> str:
    """``text`` with every secret value replaced by ``***``."""
    for value in secret_values:
        if value:
            text = text.replace(value, "***")
    return text


class ScrubFilter(logging.Filter):
    """A logging filter that removes secrets from messages, arguments and tracebacks."""

    def __init__(self, secrets: list[str] | None = None) -> None:  # noqa: D107 - dictConfig factory
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub in place (keeping the args tuple, which uvicorn's access formatter unpacks)."""
        if not self.secrets:
            return True
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg, self.secrets)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a, self.secrets) if isinstance(a, str) else a for a in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip(), self.secrets)
        return True


_STATUS = ((QuestionError, 422), (InputError, 400), (LLMError, 502), (StoreError, 503))


def _status_of(err: AssistantError) -> int:
    """The HTTP status for an assistant error (500 for one this table does not know)."""
    return next((status for kind, status in _STATUS if isinstance(err, kind)), 500)


def _error(status: int, message: str, settings: Settings, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error response (one line, secrets scrubbed)."""
    line = scrub(" ".join(str(message).split()), settings.secrets()) or "error"
    return JSONResponse({"error": line}, status_code=status, headers=headers)


def _log_unexpected(exc: BaseException, settings: Settings) -> None:
    """Log an unexpected exception with its traceback, secrets scrubbed."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("unexpected error while serving a request:\n%s", scrub(text, settings.secrets()))


# -- the outer guard: body size, security headers, last-resort 500 ------------------------------
class _BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a request body passes its limit (an HTTPException, so that
    FastAPI passes it on as it is rather than calling it a parse error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large(limit))


class GuardMiddleware:
    """Pure ASGI middleware: refuses over-large bodies with 413 JSON, adds security headers, and
    turns any exception that escaped the app into a 500 JSON answer (no traceback to clients)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BODY_LIMITS.get(scope["path"], DEFAULT_BODY_LIMIT)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reply(send, 413, _too_large(limit))
            return
        started = False
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + _security_headers()
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not started:
                await self._reply(send, 413, _too_large(limit))
        except Exception as exc:  # the last resort: never a traceback to the client
            _log_unexpected(exc, self.settings)
            if not started:
                await self._reply(send, 500, "internal error; the server log has the details")

    async def _reply(self, send: Send, status: int, message: str) -> None:
        """Send a whole JSON error response."""
        body = json.dumps({"error": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers + _security_headers()})
        await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    """The 413 message."""
    return f"request body too large; the limit here is {limit // 1024} KB"


def _security_headers() -> list[tuple[bytes, bytes]]:
    """Headers every response carries (the page loads nothing from elsewhere)."""
    return [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


# -- request bodies -----------------------------------------------------------------------------
class AskRequest(BaseModel):
    """A question, optionally continuing a conversation."""

    question: str
    conversation_id: str | None = Field(default=None, max_length=100)


class FeedbackRequest(BaseModel):
    """Thumbs up/down on an answer; the server fills question/answer from ``answer_id`` when kept."""

    rating: Literal["up", "down"]
    reason: str = Field(default="", max_length=2000)
    answer_id: str | None = Field(default=None, max_length=100)
    question: str = Field(default="", max_length=2000)
    answer: str = Field(default="", max_length=20000)
    conversation_id: str | None = Field(default=None, max_length=100)


class ExportRequest(BaseModel):
    """What to export: a kept answer by id, else the rows (and figures) sent along."""

    answer_id: str | None = Field(default=None, max_length=100)
    rows: list[ExportRow] | None = Field(default=None, max_length=2000)
    figures: list[dict[str, str]] = Field(default_factory=list, max_length=200)
    language: Literal["zh", "en"] = "zh"


# -- server-side state --------------------------------------------------------------------------
@dataclass
class WebState:
    """What the request handlers share."""

    settings: Settings
    assistant: "Assistant"
    feedback: FeedbackStore
    conversations: ConversationStore = field(default_factory=ConversationStore)
    answers: AnswerCache = field(default_factory=AnswerCache)
    limiter: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(MAX_ASKS_AT_ONCE))

    def check_question(self, question: str) -> str:
        """The stripped question, or QuestionError (checked here too, before a stream starts)."""
        question = question.strip()
        if not question:
            raise QuestionError("the question is empty; ask e.g. 'Which projects target 365 service days?'")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"the question is {len(question)} characters long; keep it under {limit}")
        return question

    def ask(self, body: AskRequest, on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
        """One call of ``Assistant.ask`` in the body's conversation; the contract + ids."""
        question = self.check_question(body.question)
        conversation_id, conversation = self.conversations.get(body.conversation_id)
        with self.conversations.lock(conversation_id):
            answer = self.assistant.ask(question, conversation, on_step=on_step)
        result = answer.to_json()
        answer_id = self.answers.put({"question": question, "conversation_id": conversation_id, **result})
        result.update(conversation_id=conversation_id, answer_id=answer_id,
                      new_conversation=bool(body.conversation_id) and conversation_id != body.conversation_id)
        return result

    async def ask_in_thread(self, body: AskRequest, on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
        """:meth:`ask` in a worker thread (at most MAX_ASKS_AT_ONCE at a time)."""
        return await anyio.to_thread.run_sync(lambda: self.ask(body, on_step), limiter=self.limiter)


# -- streaming ------------------------------------------------------------------------------------
def sse(event: str, data: Any) -> bytes:
    """One server-sent event with a JSON payload."""
    payload = json.dumps(data, ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


def _chunks(text: str, pieces: int = STREAM_CHUNKS) -> list[str]:
    """``text`` cut into about ``pieces`` parts."""
    size = max(4, -(-len(text) // pieces))
    return [text[i:i + size] for i in range(0, len(text), size)]


async def stream_answer(state: WebState, body: AskRequest) -> AsyncIterator[bytes]:
    """Events for one question: progress steps as the engine reports them, the answer text in
    chunks, then the final JSON; an error event instead when the question fails."""
    loop = asyncio.get_running_loop()
    steps: asyncio.Queue[str] = asyncio.Queue()

    def on_step(step: str) -> None:
        loop.call_soon_threadsafe(steps.put_nowait, step)

    yield sse("progress", {"step": "queued"})
    job = asyncio.ensure_future(state.ask_in_thread(body, on_step))
    job.add_done_callback(lambda j: j.cancelled() or j.exception())  # retrieved even if the client left
    while True:
        next_step = asyncio.ensure_future(steps.get())
        done, _ = await asyncio.wait({next_step, job}, return_when=asyncio.FIRST_COMPLETED)
        if next_step in done:
            yield sse("progress", {"step": next_step.result()})
            continue
        next_step.cancel()
        break
    while not steps.empty():
        yield sse("progress", {"step": steps.get_nowait()})
    try:
        result = job.result()
    except AssistantError as err:
        yield sse("error", {"error": scrub(str(err), state.settings.secrets()), "status": _status_of(err)})
        return
    except Exception as exc:
        _log_unexpected(exc, state.settings)
        yield sse("error", {"error": "internal error; the server log has the details", "status": 500})
        return
    for piece in _chunks(result["answer"]):
        yield sse("delta", {"text": piece})
        await asyncio.sleep(STREAM_PAUSE)
    yield sse("answer", result)


# -- documents --------------------------------------------------------------------------------------
def documents_summary(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """What is indexed, from ``Assistant.show()``: per document its department, year, total,
    units and projects (without indicator detail), plus overall counts."""
    out = []
    for doc in documents:
        projects = [{"project": p["project"], "unit": p["unit"], "total": p["total"],
                     "withheld": p.get("withheld", False), "indicators": len(p.get("indicators", [])),
                     "source": p["source"]} for p in doc.get("projects", [])]
        out.append({"document": doc["document"], "department": doc["department"], "year": doc.get("year"),
                    "total": doc.get("total"), "units": doc.get("units", []), "projects": projects,
                    "project_count": len(projects),
                    "withheld_count": sum(1 for p in projects if p["withheld"])})
    return {"documents": out, "counts": {
        "documents": len(out), "units": sum(len(d["units"]) for d in out),
        "projects": sum(d["project_count"] for d in out)}}


# -- the app --------------------------------------------------------------------------------------
def create_app(settings: Settings, assistant: "Assistant | None" = None) -> FastAPI:
    """The FastAPI app over ``assistant`` (one is made from ``settings`` when not given)."""
    if assistant is None:
        from .core import Assistant

        assistant = Assistant(settings)
    state = WebState(settings=settings, assistant=assistant, feedback=FeedbackStore.for_settings(settings))
    app = FastAPI(title="Budget performance-target assistant", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.web = state
    app.add_middleware(GuardMiddleware, settings=settings)
    _add_error_handlers(app, settings)
    _add_api_routes(app, state, Depends(_token_check(settings)))
    _add_page_routes(app)
    _mount_slack(app, state)
    return app


def _token_check(settings: Settings) -> Callable[[Request], None]:
    """A dependency that requires ``Authorization: Bearer <ASSISTANT_API_TOKEN>`` when one is set."""
    expected = (settings.api_token or "").encode()

    def check(request: Request) -> None:
        if not expected:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise ApiError(401, "missing or wrong API token; enter the token the server was started with "
                                "(send 'Authorization: Bearer <ASSISTANT_API_TOKEN>')",
                           headers={"WWW-Authenticate": "Bearer"})

    return check


def _add_error_handlers(app: FastAPI, settings: Settings) -> None:
    """Every error leaves as ``{"error": "one line"}``."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> JSONResponse:
        return _error(err.status, str(err), settings, err.headers)

    @app.exception_handler(AssistantError)
    async def assistant_error(_request: Request, err: AssistantError) -> JSONResponse:
        return _error(_status_of(err), str(err), settings)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, err: RequestValidationError) -> JSONResponse:
        return _error(422, _describe_validation(err), settings)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        where = request.url.path
        message = {404: f"no such page or endpoint: {where}", 405: f"method not allowed on {where}"}.get(
            err.status_code, str(err.detail))
        return _error(err.status_code, message, settings, getattr(err, "headers", None))


def _describe_validation(err: RequestValidationError) -> str:
    """The first validation problem as one line, e.g. ``question: Field required``."""
    problems = err.errors()
    if not problems:
        return "invalid request"
    first = problems[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid request"))


def _add_api_routes(app: FastAPI, state: WebState, auth: Any) -> None:
    """The JSON and SSE endpoints."""

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        """Liveness; also tells the page whether it needs a token and the question length limit."""
        return {"status": "ok", "auth_required": bool(state.settings.api_token),
                "max_question_chars": state.settings.max_question_chars}

    @app.get("/api/documents", dependencies=[auth])
    async def documents() -> dict[str, Any]:
        """What is indexed."""
        shown = await anyio.to_thread.run_sync(state.assistant.show, limiter=state.limiter)
        return documents_summary(shown)

    @app.post("/api/ask", dependencies=[auth])
    async def ask(body: AskRequest) -> dict[str, Any]:
        """The --json contract plus ``conversation_id`` and ``answer_id``."""
        return await state.ask_in_thread(body)

    @app.post("/api/ask/stream", dependencies=[auth])
    async def ask_stream(body: AskRequest) -> StreamingResponse:
        """Server-sent events: progress, delta…, answer (or error)."""
        state.check_question(body.question)  # a bad question is a plain 422, not a stream
        return StreamingResponse(stream_answer(state, body), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/export", dependencies=[auth])
    async def export(body: ExportRequest, format: str = Query("csv")) -> Response:
        """An answer's rows as CSV (UTF-8 with BOM) or XLSX."""
        if format not in EXPORT_TYPES:
            raise ApiError(400, "format must be csv or xlsx")
        kept = state.answers.get(body.answer_id)
        if kept is not None:
            rows = [ExportRow.model_validate(r) for r in kept["rows"]]
            figures, language, question = kept["figures"], kept.get("language", "zh"), kept["question"]
        elif body.rows is not None:
            rows, language, question = body.rows, body.language, ""
            figures = body.figures
        else:
            raise ApiError(404, "that answer is no longer kept on the server; ask the question again")
        content, filename = export_file(format, rows, figures, language, question)
        return Response(content, media_type=EXPORT_TYPES[format], headers={
            "Content-Disposition": f"attachment; filename=\"{filename}\"", "Cache-Control": "no-store"})

    @app.post("/api/feedback", dependencies=[auth])
    async def feedback(body: FeedbackRequest) -> dict[str, Any]:
        """Store a thumbs up/down; the question and answer come from the kept answer when known."""
        kept = state.answers.get(body.answer_id)
        extra: dict[str, Any] = {}
        question, answer, conversation_id = body.question, body.answer, body.conversation_id
        if kept is not None:
            question, answer = kept["question"], kept["answer"]
            conversation_id = kept["conversation_id"]
            extra = {"answer_id": body.answer_id, "status": kept["status"],
                     "rows": [[r["project"], r["total"]] for r in kept["rows"]],
                     "figures": [f"{f['label']} = {f['value']}" for f in kept["figures"]]}
        feedback_id = await anyio.to_thread.run_sync(lambda: state.feedback.add(
            rating=body.rating, question=question, answer=answer, reason=body.reason, source="web",
            conversation_id=conversation_id, extra=extra or None))
        return {"id": feedback_id, "stored": True}


def _add_page_routes(app: FastAPI) -> None:
    """The chat page and its static files."""
    no_cache = {"Cache-Control": "no-cache"}

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=no_cache)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _mount_slack(app: FastAPI, state: WebState) -> None:
    """Add POST /slack/events when a Slack bot token and signing secret are configured."""
    settings = state.settings
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return
    try:
        from .slack import mount_http
    except ImportError as err:
        raise AssistantError(f"Slack is configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET) but its front end "
                             f"cannot be loaded ({err}); reinstall the package or unset those variables") from None
    mount_http(app, state.assistant, settings, state.feedback)


# -- serving --------------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings, host: str, port: int) -> None:
    """Refuse to expose the API without a token, and say so when the port is taken."""
    if not is_loopback(host) and not settings.api_token:
        raise AssistantError(f"refusing to serve on {host} without a token: set ASSISTANT_API_TOKEN "
                             "(reviewers then enter it on the page), or bind to 127.0.0.1")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as err:
            raise AssistantError(f"cannot listen on {host}:{port} ({err.strerror}); "
                                 "pick another port with --port") from None


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging set-up with a secret-scrubbing filter on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"scrub": {"()": ScrubFilter, "secrets": settings.secrets()}}
    for handler in config["handlers"].values():
        handler["filters"] = ["scrub"]
    config["loggers"]["assistant"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def page_url(settings: Settings, host: str, port: int) -> str:
    """The address to open in a browser."""
    if settings.public_url:
        return settings.public_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("localhost" if host == "::" else host)
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Build the bundled sample on first use, then serve the web chat and API until Ctrl-C."""
    import uvicorn

    check_bind(settings, host, port)
    from .core import Assistant

    assistant = Assistant(settings)
    if assistant.ensure_ready():
        print("built the bundled sample into the default store", flush=True)
    threading.Thread(target=assistant.warm_up, name="warm-up", daemon=True).start()
    app = create_app(settings, assistant)
    print(f"Budget assistant web chat: {page_url(settings, host, port)}", flush=True)
    if settings.api_token:
        print("The API needs the token in ASSISTANT_API_TOKEN; the page asks for it once.", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    uvicorn.run(app, host=host.strip("[]"), port=port, log_config=log_config(settings),
                timeout_graceful_shutdown=3)
