"""Thumbs up/down left on an answer (web page or Slack), kept in SQLite at the store root.

The file is ``<store>/feedback.sqlite`` so that re-ingesting the documents keeps it. Every write
opens its own short connection under a lock, so one :class:`FeedbackStore` is safe to share
between threads (the web server's threadpool, the Slack socket handler).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import QuestionError, StoreError

RATINGS = ("up", "down")
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 20000
MAX_REASON_CHARS = 2000
MAX_SOURCE_CHARS = 40
FILENAME = "feedback.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'web',
    conversation_id TEXT,
    extra TEXT
)
"""
_COLUMNS = ("id", "created", "rating", "question", "answer", "reason", "source", "conversation_id", "extra")


def _check_text(name: str, value: object, limit: int, *, required: bool = False) -> str:
    """``value`` as a stripped string within ``limit`` characters, or a QuestionError."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise QuestionError(f"feedback {name} must be text")
    value = value.strip()
    if required and not value:
        raise QuestionError(f"feedback needs the {name} it is about")
    if len(value) > limit:
        raise QuestionError(f"feedback {name} is {len(value)} characters long; keep it under {limit}")
    return value


class FeedbackStore:
    """Append-only feedback records in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def for_settings(cls, settings: Settings) -> "FeedbackStore":
        """The feedback store of ``settings.store`` (the store root, so re-ingest keeps it)."""
        return cls(Path(settings.store) / FILENAME)

    def _connect(self) -> sqlite3.Connection:
        """A fresh connection, creating the file and table on first use."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            if not self._ready:
                conn.execute(_SCHEMA)
                conn.commit()
                self._ready = True
            return conn
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the feedback file {self.path}: {err}; check the --store folder") from None

    def add(self, *, rating: str, question: str, answer: str = "", reason: str = "", source: str = "web",
            conversation_id: str | None = None, extra: dict[str, Any] | None = None) -> int:
        """Store one piece of feedback and return its id; bad input raises QuestionError."""
        if rating not in RATINGS:
            raise QuestionError(f"feedback rating must be 'up' or 'down', not {str(rating)[:20]!r}")
        row = (
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
            rating,
            _check_text("question", question, MAX_QUESTION_CHARS, required=True),
            _check_text("answer", answer, MAX_ANSWER_CHARS),
            _check_text("reason", reason, MAX_REASON_CHARS),
            _check_text("source", source, MAX_SOURCE_CHARS, required=True),
            _check_text("conversation_id", conversation_id, 200) or None,
            self._encode_extra(extra),
        )
        with self._lock:
            conn = self._connect()
            try:
                with conn:
                    cur = conn.execute(
                        "INSERT INTO feedback (created, rating, question, answer, reason, source,"
                        " conversation_id, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
                return int(cur.lastrowid or 0)
            except sqlite3.Error as err:
                raise StoreError(f"cannot save feedback in {self.path}: {err}") from None
            finally:
                conn.close()

    @staticmethod
    def _encode_extra(extra: dict[str, Any] | None) -> str | None:
        """``extra`` as JSON text (bounded), or None."""
        if extra is None:
            return None
        if not isinstance(extra, dict):
            raise QuestionError("feedback extra must be an object")
        try:
            text = json.dumps(extra, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            raise QuestionError("feedback extra must be JSON-serialisable") from None
        if len(text) > MAX_ANSWER_CHARS:
            raise QuestionError(f"feedback extra is too large; keep it under {MAX_ANSWER_CHARS} characters")
        return text

    def list(self) -> list[dict[str, Any]]:
        """All feedback, oldest first, as dicts (``extra`` decoded; ``{}`` when none)."""
        if not self.path.exists():
            return []
        with self._lock:
            conn = self._connect()
            try:
                rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id").fetchall()
            except sqlite3.Error as err:
                raise StoreError(f"cannot read feedback from {self.path}: {err}") from None
            finally:
                conn.close()
        out = []
        for values in rows:
            item = dict(zip(_COLUMNS, values))
            item["extra"] = json.loads(item["extra"]) if item["extra"] else {}
            out.append(item)
        return out


def list_feedback(settings: Settings) -> list[dict[str, Any]]:
    """Every piece of feedback stored for ``settings.store`` (``assistant feedback``)."""
    return FeedbackStore.for_settings(settings).list()
