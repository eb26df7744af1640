"""Server-side state of the web chat and the Slack bot: conversations (bounded in number,
expiring) and recent answers (bounded), kept so that follow-ups, exports and feedback can refer
to them by id.

Each conversation is a :class:`~assistant.conversation.Conversation` (which bounds its own turns);
:class:`ConversationStore` bounds how many are kept (least recently used goes first) and how long
an idle one lives.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from .conversation import Conversation


class ConversationStore:
    """Conversations by id; ``get`` returns a fresh one for an unknown, expired or missing id."""

    def __init__(self, max_conversations: int = 1000, max_age_seconds: float = 6 * 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_conversations < 1:
            raise ValueError("max_conversations must be at least 1")
        self.max_conversations = max_conversations
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # id -> (last used, conversation, its lock); order = least recently used first
        self._items: OrderedDict[str, tuple[float, Conversation, threading.Lock]] = OrderedDict()

    def get(self, conversation_id: str | None) -> tuple[str, Conversation]:
        """The conversation for ``conversation_id`` and its id (a new random id when not found)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            found = self._items.pop(conversation_id, None) if conversation_id else None
            if found is None:
                conversation_id, conversation, lock = secrets.token_urlsafe(16), Conversation(), threading.Lock()
            else:
                _used, conversation, lock = found
            self._items[conversation_id] = (now, conversation, lock)
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)
            return conversation_id, conversation

    def lock(self, conversation_id: str) -> threading.Lock:
        """The lock to hold while asking in this conversation, so that two requests on one
        conversation do not interleave their turns (a fresh lock when the id is not kept)."""
        with self._lock:
            found = self._items.get(conversation_id)
            return found[2] if found else threading.Lock()

    def _expire(self, now: float) -> None:
        """Drop conversations idle for longer than ``max_age_seconds`` (oldest are first)."""
        while self._items:
            oldest_id, (used, _conv, _lock) = next(iter(self._items.items()))
            if now - used <= self.max_age_seconds:
                break
            del self._items[oldest_id]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, conversation_id: object) -> bool:
        with self._lock:
            return conversation_id in self._items


class AnswerCache:
    """Recent answers by id (bounded), for export and feedback."""

    def __init__(self, max_items: int = 500) -> None:
        self.max_items = max_items
        self._lock = threading.Lock()
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def put(self, item: dict[str, Any]) -> str:
        """Keep ``item``; returns its new id."""
        answer_id = secrets.token_urlsafe(12)
        with self._lock:
            self._items[answer_id] = item
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return answer_id

    def get(self, answer_id: str | None) -> dict[str, Any] | None:
        """The kept item, or None."""
        with self._lock:
            return self._items.get(answer_id) if answer_id else None
