"""The one library call every front end uses: ``Assistant.ask(question, conversation) -> Answer``.

The data path is plan -> execute -> answer, composed as LangChain Runnables; ingest, validate and
show are here too so that the CLI, the web server and the Slack bot stay thin.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from langchain_core.embeddings import Embeddings
from langchain_core.runnables import RunnableLambda

from .answering import Answer, render
from .config import BUNDLED_SOURCES, DEFAULT_STORE, Settings
from .conversation import Conversation
from .errors import InputError, QuestionError
from .execution import execute
from .index import Progress, Store
from .parsing import SUFFIXES, parse_file
from .planning import Planner
from .records import Corpus, Department
from .validation import Report, validate


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the table files inside folders named; a missing path is an error."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and not p.name.startswith(".")))
        elif path.exists():
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    if not out:
        raise InputError("no table files given; name .md, .csv or .xlsx files or a folder holding them")
    return out


def parse_paths(paths: Iterable[str | Path], encoding: str | None = None) -> list[Department]:
    """Parse every file first, so a bad one stops the ingest before the store is touched."""
    return [parse_file(p, encoding) for p in expand_paths(paths)]


class Assistant:
    """Answers questions over a store; also ingests, validates and describes it."""

    def __init__(self, settings: Settings | None = None, embedder: Embeddings | None = None,
                 chat_model: Any = None) -> None:
        self.settings = settings or Settings.load()
        self.store = Store(self.settings, embedder=embedder)
        self._chat_model = chat_model
        self._lock = threading.Lock()
        self._planner: Planner | None = None

    # -- set-up ----------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], encoding: str | None = None,
               progress: Progress | None = None) -> list[Report]:
        """Parse, validate and index ``paths``; returns one validation report per document."""
        departments = parse_paths(paths, encoding)
        with self._lock:
            self.store.ingest(departments, progress=progress)
        return [validate(d) for d in departments]

    def ensure_ready(self, progress: Progress | None = None) -> bool:
        """Build the bundled sample into the default store on first use; True if it did."""
        if Path(self.settings.store) != DEFAULT_STORE or (self.store.exists() and self.store.current()):
            return False  # (the bundled sample is rebuilt when an older parser built it)
        self.ingest([BUNDLED_SOURCES], progress=progress)
        return True

    def corpus(self) -> Corpus:
        """The typed records of the store (built from the bundled sample on first use)."""
        self.ensure_ready()
        return self.store.corpus()

    def show(self) -> list[dict[str, Any]]:
        """Documents -> projects (with unit, total, indicators), JSON-ready."""
        out = []
        for d in self.corpus().departments:
            out.append({
                "document": d.document, "department": d.name, "year": d.year,
                "total": None if d.total is None else str(d.total),
                "units": [{"name": u.name, "amount": None if u.amount is None else str(u.amount),
                           "projects": len(u.projects)} for u in d.units],
                "projects": [{
                    "project": p.name, "unit": p.unit, "total": str(p.total), "withheld": p.withheld,
                    "source": {"document": p.source.document, "line": p.source.line, **({"sheet": p.source.sheet} if p.source.sheet else {})},
                    "indicators": [i.to_dict() for i in p.indicators],
                } for p in d.projects()],
            })
        return out

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the planner, the embedding model
        and the Chroma collection (used when a question's words match nothing). For servers."""
        self.planner()
        try:
            self.store.search("预算", k=1)
        except Exception:  # a store built with another embedder answers by the rules alone
            pass

    # -- answering -------------------------------------------------------------------------
    def planner(self) -> Planner:
        """The planner for the current records (rebuilt when the store changes)."""
        corpus = self.corpus()
        if self._planner is None or self._planner.corpus is not corpus:
            self._planner = Planner(corpus, self.store, self.settings, chat_model=self._chat_model)
        return self._planner

    def ask(self, question: str, conversation: Conversation | None = None,
            on_step: Callable[[str], None] | None = None) -> Answer:
        """Answer one question; with ``conversation``, follow-ups see earlier turns and the turn is added."""
        question = (question or "").strip()
        if not question:
            raise QuestionError("the question is empty; ask e.g. 'Which projects target 365 service days?'")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(f"the question is {len(question)} characters long; keep it under {self.settings.max_question_chars}")
        step = on_step or (lambda _name: None)
        planner = self.planner()
        corpus = planner.corpus

        def plan(q: str) -> Any:
            step("planning")
            return planner.plan(q, conversation)

        def run(plan_: Any) -> Any:
            step("executing")
            return execute(plan_, corpus, conversation)

        def answer(result: Any) -> Answer:
            step("answering")
            return render(result, planner=planner)

        chain = RunnableLambda(plan) | RunnableLambda(run) | RunnableLambda(answer)
        reply: Answer = chain.invoke(question)
        if conversation is not None:
            conversation.add(question, reply)
        return reply
