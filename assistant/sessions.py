"""Server-side conversations for the web chat and the Slack bot: bounded in number, expiring.

Each conversation is a :class:`~assistant.conversation.Conversation` (which bounds its own turns);
this store bounds how many are kept (least recently used goes first) and how long an idle one lives.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Callable

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
