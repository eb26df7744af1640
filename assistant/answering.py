"""Turn a computed :class:`~assistant.execution.Result` into an :class:`Answer`: reviewer-friendly
text in the question's language with [n] citations, and the ``--json`` contract.

Every number in the text comes from the result's figures or rows; the optional LLM phrasing is
checked against them (see :mod:`assistant.llm`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .records import Project

if TYPE_CHECKING:
    from .execution import Result
    from .planning import Planner


@dataclass
class Figure:
    """A computed number and how it was computed."""

    label: str
    value: str
    unit: str
    expression: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return {"label": self.label, "value": self.value, "unit": self.unit, "expression": self.expression}


@dataclass
class CitedRow:
    """A project row that is part of the answer, with the indicator texts that matched."""

    project: Project
    matched: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The contract's row object."""
        p = self.project
        source: dict[str, Any] = {"document": p.source.document, "line": p.source.line}
        if p.source.sheet:
            source["sheet"] = p.source.sheet
        return {"project": p.name, "unit": p.unit, "total": str(p.total), "source": source, "matched": list(self.matched)}


@dataclass
class Answer:
    """What every front end shows: status, text, cited rows, figures (and the plan, for --explain)."""

    status: str  # answered | not_found | needs_clarification
    text: str
    rows: list[CitedRow]
    figures: list[Figure]
    language: str
    plan: dict[str, Any] | None = None
    notice: str | None = None

    @property
    def projects(self) -> list[Project]:
        """The cited project records, in answer order."""
        return [r.project for r in self.rows]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` answer contract (``../shared/eval/README.md``)."""
        out: dict[str, Any] = {
            "status": self.status, "answer": self.text,
            "rows": [r.to_dict() for r in self.rows], "figures": [f.to_dict() for f in self.figures],
            "language": self.language,
        }
        if self.notice:
            out["notice"] = self.notice
        return out
