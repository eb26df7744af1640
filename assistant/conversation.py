"""A conversation: the turns so far, so that follow-ups ("what is their combined budget?") can
work on the rows of the previous answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .answering import Answer
    from .records import Project


@dataclass
class Turn:
    """One question and the answer it got."""

    question: str
    answer: "Answer"


@dataclass
class Conversation:
    """Turns in order; bounded so a long chat does not grow without end."""

    turns: list[Turn] = field(default_factory=list)
    max_turns: int = 20

    def add(self, question: str, answer: "Answer") -> None:
        """Record a turn (the oldest falls off past ``max_turns``)."""
        self.turns.append(Turn(question, answer))
        del self.turns[: -self.max_turns]

    def last_rows(self) -> list["Project"]:
        """The project rows of the most recent answer that had any."""
        for turn in reversed(self.turns):
            if turn.answer.status == "answered" and turn.answer.projects:
                return turn.answer.projects
        return []

    def last_question(self) -> str | None:
        """The previous question, if any."""
        return self.turns[-1].question if self.turns else None
