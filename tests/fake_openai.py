"""A local OpenAI-compatible chat server for tests: replies are queued by the test."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """``/v1/embeddings`` answers with hash vectors. ``/v1/chat/completions``: a request with tools gets the next queued plan as a tool call;
    one without gets the next queued text. A queued ``{"status": 429}`` or ``{"sleep": 2}`` is served
    as such; ``{"arguments": "..."}`` sends raw (possibly malformed) tool arguments."""

    def __init__(self) -> None:
        self.plans: list[dict[str, Any]] = []
        self.texts: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if self.path.endswith("/embeddings"):
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    data = [{"object": "embedding", "index": k, "embedding": fake.vector(t)} for k, t in enumerate(texts)]
                    return self._send(200, {"object": "list", "data": data, "model": body.get("model"),
                                            "usage": {"prompt_tokens": 1, "total_tokens": 1}})
                queue = fake.plans if body.get("tools") else fake.texts
                step = queue.pop(0) if queue else {"status": 500}
                if "sleep" in step:
                    time.sleep(step["sleep"])
                if "status" in step:
                    return self._send(step["status"], {"error": {"message": "fake failure", "type": "server_error"}})
                if body.get("tools"):
                    name = body["tools"][0]["function"]["name"]
                    args = step.get("arguments") or json.dumps(step["plan"], ensure_ascii=False)
                    message = {"role": "assistant", "content": None, "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]}
                    finish = "tool_calls"
                else:
                    message, finish = {"role": "assistant", "content": step["text"]}, "stop"
                self._send(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                                 "model": body.get("model", "fake"),
                                 "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def vector(text: str) -> list[float]:
        """A deterministic 8-dimensional embedding of ``text``."""
        import hashlib

        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255 for b in digest[:8]]

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
