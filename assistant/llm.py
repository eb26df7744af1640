"""The optional language model: plans questions and phrases answers, never computes numbers.

Any OpenAI-compatible chat endpoint (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) through LangChain's
``ChatOpenAI``. The model returns an :class:`LLMPlan` by structured output; names it gives are
resolved against the table by the same matcher the offline planner uses, so it cannot invent rows.
A phrased answer holding a number or citation that is not in the computed result is discarded.
Timeouts, 429/5xx and malformed output raise :class:`LLMError`; callers fall back to the offline path.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .config import PROMPTS_DIR, Settings
from .errors import LLMError

if TYPE_CHECKING:
    from .answering import Answer
    from .conversation import Conversation
    from .execution import Result
    from .planning import Plan, Planner


class LLMCondition(BaseModel):
    """A numeric condition as the model states it."""

    op: Literal["=", "≥", ">", "≤", "<", "between"]
    value: float
    upper: float | None = None
    unit: str | None = None


class LLMPlan(BaseModel):
    """The structured output asked of the model (names as text; code resolves them)."""

    language: Literal["zh", "en"] = "zh"
    answerable: bool = True
    reason: str | None = None
    compute: list[Literal["list", "sum", "count", "average", "share", "top", "reconcile", "numbering", "indicators", "funding",
                          "compare"]] = Field(default_factory=lambda: ["list"])
    subject: Literal["projects", "indicators"] = "projects"
    units: list[str] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)
    exclude_units: list[str] = Field(default_factory=list)
    exclude_projects: list[str] = Field(default_factory=list)
    indicator_concepts: list[str] = Field(default_factory=list)
    indicator_condition: LLMCondition | None = None
    amount_condition: LLMCondition | None = None
    withheld: bool | None = None
    quantified: bool | None = None
    all_quantified: bool = False
    uncategorized: bool = False
    funding: list[Literal["fiscal", "special", "other"]] = Field(default_factory=list)
    order: Literal["desc", "asc"] | None = None
    limit: int | None = None
    follow_up: bool = False
    target_texts: list[str] = Field(default_factory=list)
    measure: str | None = None
    indicator_count: LLMCondition | None = None
    unit_proper: bool = False
    share_of_units: list[str] = Field(default_factory=list)
    share_department: bool = False


def _prompt(name: str) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")


def _describe(err: Exception) -> str:
    """A short, secret-free description of what went wrong with the model call."""
    name = err.__class__.__name__
    status = getattr(err, "status_code", None)
    if "Timeout" in name:
        return "the language model timed out"
    if status == 429 or "RateLimit" in name:
        return "the language model is rate-limited (429)"
    if status is not None:
        return f"the language model returned HTTP {status}"
    if "Connection" in name:
        return "the language model could not be reached"
    return f"the language model gave an unusable reply ({name})"


class LLMPlanner:
    """Plans with a chat model; phrases answers and checks them against the computed result."""

    def __init__(self, settings: Settings, chat_model: Any = None) -> None:
        self.settings = settings
        if chat_model is None:
            from langchain_openai import ChatOpenAI

            chat_model = ChatOpenAI(
                model=settings.llm_model, api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                timeout=settings.llm_timeout, max_retries=0, temperature=0,
            )
        self.model = chat_model

    def _invoke(self, runnable: Any, messages: list[tuple[str, str]]) -> Any:
        try:
            return runnable.invoke(messages)
        except Exception as err:  # every client, parser and transport error becomes one LLMError
            raise LLMError(_describe(err)) from None

    def plan(self, question: str, conversation: "Conversation | None", planner: "Planner") -> "Plan":
        """Ask the model for a plan and resolve its names against the table."""
        corpus = planner.corpus
        names = sorted({p.name for p in corpus.projects()})
        indicators = sorted({i.name for _, i in corpus.indicators()})
        user = _prompt("plan_user.md").format(
            units="；".join(sorted({u.name for _, u in corpus.units()})),
            projects="；".join(names[:300]), indicators="；".join(indicators[:400]),
            previous=(conversation.last_question() if conversation else None) or "(none)", question=question,
        )
        structured = self.model.with_structured_output(LLMPlan, method="function_calling")
        raw = self._invoke(structured, [("system", _prompt("plan_system.md")), ("user", user)])
        if not isinstance(raw, LLMPlan):
            raise LLMError("the language model gave an unusable reply (no plan)")
        return self.to_plan(question, raw, conversation, planner)

    def to_plan(self, question: str, raw: LLMPlan, conversation: "Conversation | None", planner: "Planner") -> "Plan":
        """The model's plan in the engine's terms; names that match nothing make it not_found."""
        from .matching import fold
        from .planning import Condition, Plan, detect_language

        plan = Plan(question=question, language=detect_language(question), source="llm")
        if not raw.answerable:
            plan.status, plan.reason = "not_found", raw.reason or None
            return plan
        unresolved: list[str] = []
        plan.units, missing = planner.resolve_names(raw.units, "unit")
        unresolved += missing
        plan.projects, missing = planner.resolve_names(raw.projects, "project")
        unresolved += missing
        plan.exclude_units, _ = planner.resolve_names(raw.exclude_units, "unit")
        plan.exclude_projects, _ = planner.resolve_names(raw.exclude_projects, "project")
        plan.share_of, missing = planner.resolve_names(raw.share_of_units, "unit")
        unresolved += missing
        plan.indicator_texts, missing = planner.resolve_names(raw.indicator_concepts, "indicator")
        unresolved += missing
        plan.terms = raw.units + raw.projects + raw.indicator_concepts
        for field in ("indicator_condition", "amount_condition"):
            c = getattr(raw, field)
            if c is not None:
                setattr(plan, field, Condition(op=c.op, value=Decimal(str(c.value)),
                                               upper=None if c.upper is None else Decimal(str(c.upper)),
                                               unit="万元" if field == "amount_condition" else c.unit))
        plan.compute = raw.compute or ["list"]  # type: ignore[assignment]
        plan.subject, plan.withheld, plan.quantified = raw.subject, raw.withheld, raw.quantified
        plan.all_quantified, plan.uncategorized, plan.funding = raw.all_quantified, raw.uncategorized, raw.funding
        plan.order, plan.limit = raw.order, raw.limit
        plan.share_department = bool(plan.share_of) and raw.share_department
        # a quoted target must be one of the table's; a unit of measure is taken as the model gives it
        plan.target_texts = [w for w in (fold(x) for x in raw.target_texts) if w in planner.word_targets]
        plan.measure, plan.unit_proper = raw.measure or None, raw.unit_proper and bool(plan.units)
        if raw.indicator_count is not None:
            plan.indicator_count = Condition(op=raw.indicator_count.op, value=Decimal(str(raw.indicator_count.value)))
        if plan.order and "top" not in plan.compute:
            plan.compute.append("top")
        plan.follow_up = raw.follow_up and bool(conversation and conversation.last_rows())
        if unresolved:
            plan.status, plan.reason = "not_found", "、".join(unresolved)
        return plan

    def phrase(self, answer: "Answer", result: "Result") -> "Answer":
        """The model's wording of ``answer`` when every number and citation in it checks out."""
        from dataclasses import replace

        user = _prompt("phrase_user.md").format(language=answer.language, question=result.plan.question, answer=answer.text)
        try:
            reply = self._invoke(self.model, [("system", _prompt("phrase_system.md")), ("user", user)])
        except LLMError as err:
            return replace(answer, notice=f"{err}; showing the computed answer")
        text = getattr(reply, "content", "")
        if not isinstance(text, str) or not text.strip():
            return replace(answer, notice="the language model gave an empty reply; showing the computed answer")
        problem = unsupported(text, answer)
        if problem:
            return replace(answer, notice=f"the language model's wording was discarded ({problem}); showing the computed answer")
        return replace(answer, text=text.strip())


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> set[Decimal]:
    out = set()
    for m in _NUMBER.finditer(unicodedata.normalize("NFKC", text)):
        try:
            out.add(Decimal(m.group().replace(",", "")))
        except ArithmeticError:
            continue
    return out


def unsupported(text: str, answer: "Answer") -> str | None:
    """Why ``text`` is not backed by ``answer`` (a number or a citation it does not hold), or None."""
    allowed = _numbers(answer.text) | _numbers(answer.to_json().__repr__())
    for k in range(1, len(answer.rows) + 1):
        allowed.add(Decimal(k))
    for cite in re.findall(r"\[(\d+)\]", text):
        if not 1 <= int(cite) <= len(answer.rows):
            return f"citation [{cite}] is not a cited row"
    for n in _numbers(text):
        if n not in allowed:
            return f"the number {n} is not in the computed result"
    return None
