"""The exception tree of the assistant.

    AssistantError            base: every error a user may see, with a one-line message
     ├── InputError           a source file is unreadable or is not a performance-target table
     ├── StoreError           the index is missing, unreadable, or built with another embedder
     ├── QuestionError        a question is empty, too long, or otherwise unusable
     └── LLMError             the optional language model failed (timeout, 429/5xx, bad output)

Front ends turn these into a message at the edge (CLI exit code + one line, HTTP 4xx JSON,
Slack message); library code raises them and never prints.
"""
from __future__ import annotations


class AssistantError(Exception):
    """Base class; ``str(err)`` is a one-line message that says what to do next."""


class InputError(AssistantError):
    """A source file could not be read as a 项目支出绩效目标表."""


class StoreError(AssistantError):
    """The index store is missing, corrupt, or does not match the configured embedder."""


class QuestionError(AssistantError):
    """The question cannot be asked as given (empty, too long)."""


class LLMError(AssistantError):
    """The configured language model did not give a usable reply."""
