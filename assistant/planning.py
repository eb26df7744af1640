"""Turn a question (and the conversation so far) into a :class:`Plan`: which rows, what to compute.

The offline planner is deterministic: rules over the question, a bilingual glossary kept as data
(``data/glossary.json``), lexical matching of table names (:mod:`assistant.matching`) and, when the
words are not in the glossary, the embeddings in the index. When a chat model is configured it is
asked for the plan first (:mod:`assistant.llm`); the offline plan is the fallback.
"""
from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .matching import NameIndex, fold, mask, resolve
from .records import Corpus, Indicator

if TYPE_CHECKING:
    from .config import Settings
    from .conversation import Conversation
    from .index import Store

GLOSSARY_PATH = Path(__file__).parent / "data" / "glossary.json"
Compute = Literal["list", "sum", "count", "average", "share", "top", "reconcile", "numbering", "indicators", "funding"]


class Condition(BaseModel):
    """A numeric condition: ``op`` value (and ``upper`` for between), in ``unit``."""

    op: Literal["=", "≥", ">", "≤", "<", "between"]
    value: Decimal
    upper: Decimal | None = None
    unit: str | None = None

    def holds(self, x: Decimal) -> bool:
        """Whether the number ``x`` meets the condition (between is inclusive)."""
        v = self.value
        return {
            "=": x == v, "≥": x >= v, ">": x > v, "≤": x <= v, "<": x < v,
            "between": v <= x <= (self.upper if self.upper is not None else v),
        }[self.op]

    def satisfied_by(self, ind: Indicator) -> bool:
        """Whether an indicator's target value meets the condition (``95%以上`` meets "at least 90%")."""
        # The target's value is compared: reviewers ask about the level a target is set at, so
        # "satisfaction target below 95%" includes 90%以上 and "at least 90%" includes 95%以上.
        if ind.value is None or not _units_agree(self.unit, ind.unit):
            return False
        return self.holds(ind.value)

    def describe(self, language: str) -> str:
        """Readable form, e.g. ``≥ 95%`` or ``between 100.00 and 200.00``."""
        unit = self.unit or ""
        if self.op == "between":
            return f"{self.value}–{self.upper}{unit}" if language == "zh" else f"between {self.value} and {self.upper} {unit}".strip()
        return f"{self.op} {self.value}{unit}"


def _units_agree(wanted: str | None, have: str | None) -> bool:
    if not wanted:
        return True
    if not have:
        return False
    return wanted == have or wanted in have or have in wanted


class Plan(BaseModel):
    """What rows to take and what to compute; small and printable (``assistant ask --explain``)."""

    question: str
    language: Literal["zh", "en"] = "zh"
    status: Literal["answer", "not_found", "needs_clarification"] = "answer"
    reason: str | None = Field(None, description="why the table cannot answer (not_found)")
    subject: Literal["projects", "indicators"] = "projects"
    compute: list[Compute] = Field(default_factory=lambda: ["list"])
    follow_up: bool = False
    units: list[str] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list, description="project names")
    indicator_texts: list[str] = Field(default_factory=list, description="indicator search texts (category指标：name)")
    terms: list[str] = Field(default_factory=list, description="the words that matched, for display")
    indicator_condition: Condition | None = None
    amount_condition: Condition | None = None
    withheld: bool | None = None
    quantified: bool | None = None
    all_quantified: bool = Field(False, description="every indicator of the project is quantified")
    uncategorized: bool = Field(False, description="an indicator has no category")
    exclude_units: list[str] = Field(default_factory=list)
    exclude_projects: list[str] = Field(default_factory=list)
    claim: Decimal | None = Field(None, description="an amount the question asks to check (is the total X?)")
    funding: list[Literal["fiscal", "special", "other"]] = Field(default_factory=list)
    order: Literal["desc", "asc"] | None = None
    order_by: Literal["total", "indicators"] = "total"
    limit: int | None = None
    offset: int = Field(0, description="rank questions: the second highest has offset 1")
    year: int | None = None
    unknown: list[str] = Field(default_factory=list, description="words that matched nothing")
    source: Literal["rules", "llm"] = "rules"
    notice: str | None = Field(None, description="why the language model was not used, when it failed")
    asks: Literal["budget", "target"] | None = Field(None, description="whether a lookup asks for the budget or the target")
    suggestion: str | None = Field(None, description="the nearest project, offered when the words matched nothing")

    def explain(self) -> dict[str, Any]:
        """JSON-ready dict without empty fields."""
        return {k: v for k, v in self.model_dump(mode="json").items() if v not in (None, []) and (v is not False or k in ("quantified", "withheld"))}


@lru_cache(maxsize=1)
def glossary() -> dict[str, Any]:
    """The bilingual glossary (data, not code)."""
    return json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))


def indicator_key(ind: Indicator) -> str:
    """The text an indicator is matched by: its category and name, e.g. ``满意度指标：服务对象满意度``."""
    return f"{ind.category or ''}指标：{ind.name}"


def detect_language(question: str) -> Literal["zh", "en"]:
    """English when the question reads as English (two function words or more), else Chinese if it has any."""
    words = re.findall(r"[a-z']+", question.lower())
    function = {"what", "which", "how", "is", "are", "the", "of", "do", "does", "for", "with", "to", "in", "and", "list",
                "show", "their", "many", "much", "have", "has", "at", "by", "a", "an", "that", "there", "any", "all", "who"}
    cjk = len(re.findall(r"[一-鿿]", question))
    if sum(w in function for w in words) >= 2 or (len(words) >= 3 and cjk <= 2 * len(words)):
        return "en"
    return "zh" if cjk else "en"


_CN_DIGIT = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_DIGIT = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def _small_number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token in _EN_DIGIT:
        return _EN_DIGIT[token]
    if len(token) == 1 and token in _CN_DIGIT:
        return _CN_DIGIT[token]
    if len(token) == 2 and token[0] == "十" and token[1] in _CN_DIGIT:
        return 10 + _CN_DIGIT[token[1]]
    return None


@lru_cache(maxsize=8192)
def _rx(pattern: str) -> re.Pattern[str]:
    """Compiled patterns; the glossary has more than ``re``'s own cache holds."""
    return re.compile(pattern)


def _dec(x: Decimal) -> str:
    return format(x.normalize(), "f")


_CN_RUN = re.compile(r"(?<![哪每这那某任同唯统第])([零〇一二两三四五六七八九十百千万亿]+)(?=万元|元|个|项|天|人次|次|场|批|家|%|名|位)")


def _cn_numbers(text: str) -> str:
    """Chinese numerals before a unit become digits (三百万元 -> 3000000元, 两个 -> 2个); 一共 stays."""
    import cn2an

    def number(m: re.Match[str]) -> str:
        try:
            return str(cn2an.cn2an(m.group(1), "smart"))
        except (ValueError, KeyError):
            return m.group(0)

    text = re.sub(r"百分之([零〇一二两三四五六七八九十百点]+)", lambda m: number(m) + "%", text)
    return _CN_RUN.sub(number, text)


class Text:
    """The question being read, with the spans already accounted for (consumed)."""

    def __init__(self, question: str) -> None:
        t = unicodedata.normalize("NFKC", question).lower()
        t = re.sub(r"(?<=\d),(?=\d{3})", "", t)  # 4,005.30 -> 4005.30
        t = _cn_numbers(t)
        t = re.sub(r"[(（]\s*(?:in\s+)?(?:units of\s+)?(万元|(?<!\d)(?:10000|ten thousand|10k)\s*(?:yuan|rmb|元))\s*[)）]", " 万元 ", t)
        t = re.sub(r"(?<!\d)(?:10000|ten thousand|10k)\s*(?:yuan|rmb)", " 万元 ", t)
        t = re.sub(r"(\d+(?:\.\d+)?)\s*million\s*(?:yuan|rmb)?", lambda m: f"{_dec(Decimal(m.group(1)) * 100)} 万元", t)
        t = re.sub(r"(\d+(?:\.\d+)?)\s*亿元?", lambda m: f"{_dec(Decimal(m.group(1)) * 10000)}万元", t)
        t = re.sub(r"(\d+(?:\.\d+)?)\s*(?<!万)(?:yuan|rmb|cny|元)(?![a-z])", lambda m: f"{_dec(Decimal(m.group(1)) / 10000)} 万元", t)
        t = re.sub(r"[(（]\s*(?:含|包括|包含|均含|inclusive)[^)）]*[)）]|\binclusive\b", " ", t)
        self.text = t
        self.used = [False] * len(t)
        self.soft: set[int] = set()  # units of measure: consumed, yet still words for the glossary

    def find(self, pattern: str, consume: bool = True) -> list[re.Match[str]]:
        """Matches of ``pattern`` on spans not yet consumed."""
        out = []
        for m in _rx(pattern).finditer(self.text):
            if any(self.used[m.start():m.end()]):
                continue
            out.append(m)
            if consume:
                self.consume(m.start(), m.end())
        return out

    def has(self, patterns: list[str], consume: bool = True) -> bool:
        """True if any of ``patterns`` occurs (English ones on word boundaries)."""
        hit = False
        for p in patterns:
            rx = rf"(?<![a-z]){p}(?![a-z])" if re.match(r"[a-z%(]", p) else p
            if self.find(rx, consume):
                hit = True
        return hit

    def consume(self, start: int, end: int) -> None:
        """Mark a span as accounted for."""
        for k in range(start, end):
            self.used[k] = True

    def rest(self, soft: bool = False) -> str:
        """The text not consumed, with consumed spans as spaces (``soft``: units of measure kept)."""
        return "".join(" " if u and not (soft and k in self.soft) else c for k, (c, u) in enumerate(zip(self.text, self.used)))


class Planner:
    """The offline planner over one corpus (and the optional chat-model planner in front of it)."""

    def __init__(self, corpus: Corpus, store: "Store | None" = None, settings: "Settings | None" = None,
                 chat_model: Any = None) -> None:
        self.corpus = corpus
        self.store = store
        self.g = glossary()
        generic = self.g["generic"]
        unit_names = {u.name for _, u in corpus.units()} | {d.name for d in corpus.departments}
        self.units = NameIndex("unit", unit_names, generic)
        self.projects = NameIndex("project", [p.name for p in corpus.projects()], generic)
        self.indicators = NameIndex("indicator", [indicator_key(i) for _, i in corpus.indicators()],
                                    generic, preferred_after="：")
        self.years = {d.year for d in corpus.departments if d.year}
        self.measures = self._measures()
        self.llm = None
        if settings is not None and (settings.llm_enabled or chat_model is not None):
            from .llm import LLMPlanner

            self.llm = LLMPlanner(settings, chat_model=chat_model)

    def _measures(self) -> list[tuple[str, str]]:
        """(pattern, unit) for units of measure: the glossary's and every unit in the indicators."""
        pairs = [(p, unit) for unit, pats in self.g["measures"].items() for p in pats]
        for _, ind in self.corpus.indicators():
            if ind.unit and not any(u == ind.unit for _, u in pairs):
                pairs.append((re.escape(ind.unit.lower()), ind.unit))
        return sorted(pairs, key=lambda pu: len(pu[0]), reverse=True)

    # -- entry point -----------------------------------------------------------------------
    def plan(self, question: str, conversation: "Conversation | None" = None) -> Plan:
        """The plan for ``question``; the chat model's when configured and usable, else the rules'."""
        notice = None
        if self.llm is not None:
            from .errors import LLMError

            try:
                return self.llm.plan(question, conversation, self)
            except LLMError as err:
                notice = f"{err}; answered offline"
        plan = self.rule_plan(question, conversation)
        plan.notice = notice
        return plan

    def resolve_names(self, texts: list[str], kind: str) -> tuple[list[str], list[str]]:
        """Table names of ``kind`` for each text (a name, a description, an English phrase), and the texts that match none."""
        index = {"unit": self.units, "project": self.projects, "indicator": self.indicators}[kind]
        found: list[str] = []
        missing: list[str] = []
        for text in texts:
            exact = [n for n in index.names if fold(n) == fold(text)]
            if exact:
                found += exact
                continue
            query, _, spans = self._query(Text(text), detect_language(text))
            match = index.best(query, alternatives=spans)
            if match:
                found += match.names
            else:
                missing.append(text)
        return list(dict.fromkeys(found)), missing

    def rule_plan(self, question: str, conversation: "Conversation | None" = None) -> Plan:
        """The deterministic plan."""
        lang = detect_language(question)
        t = Text(question)
        plan = Plan(question=question, language=lang)
        cues = self.g["cues"]

        t.has(cues["any"])  # "at least one indicator" means "any", not a number or an order
        excluded = self._exclusions(t, lang)
        t.has(cues["examples"])  # "（比如产出指标、效益指标）" illustrates, it does not filter
        self._years(t, plan)
        for scope in self.g["out_of_scope"]:
            if t.has(scope["zh"] + scope["en"], consume=False):
                plan.status, plan.reason = "not_found", scope["what_en"] if lang == "en" else scope["what_zh"]
        self._top_n(t, plan)
        conditions = self._conditions(t)
        for key in ("special", "other", "fiscal"):
            if t.has(self.g["funding"][key]):
                plan.funding.append(key)  # type: ignore[arg-type]
        withheld = t.has(cues["withheld"])
        disclosed = not withheld and t.has(cues["disclosed"])
        all_quantified = t.has(cues["all_quantified"])
        uncategorized = t.has(cues["uncategorized"])
        unquantified = t.has(cues["unquantified"])
        numbering = t.has(cues["numbering"])
        reconcile = t.has(cues["reconcile"])
        share = t.has(cues["share"])
        average = t.has(cues["average"])
        count = bool(t.find(r"(?:多少|几)(?:个|项)?(?:绩效指标|指标|项目|单位)|(?:项目|指标)(?:个数|数量|数目)|how many(?: of)?(?: the)?(?: [a-z-]+){0,2}? (?:projects?|indicators?|targets?|units?|programmes?)|number of (?:projects?|indicators?)|count (?:the )?(?:projects?|indicators?)"))
        listing_indicators = t.has(cues["indicators"], consume=False)
        total = t.has(cues["sum"])
        desc, asc = t.has(cues["desc"]), t.has(cues["asc"])
        budget_words = t.has(cues["budget"], consume=False)
        target_words = t.has(cues["target"], consume=False)
        t.has(cues["department"])  # "the whole department" is the default scope, not a name
        subject_indicators = bool(re.search(r"指标|indicator", t.text)) and count and not re.search(r"(?:多少|几)(?:个|项)?项目|how many(?: [a-z-]+){0,3}? projects?", t.text)
        strong_follow_up = t.has(cues["follow_up_zh"], consume=False) or t.has([re.escape(w) for w in cues["follow_up_en"]], consume=False)
        weak_follow_up = (t.has(cues["follow_up_weak_zh"][:4], consume=False) or t.has([re.escape(w) for w in cues["follow_up_weak_en"][:5]], consume=False)
                          or bool(re.match(r"\s*(?:and\b|what about|how about|那么?|还有)", t.text)))
        global_scope = t.has(cues["global_scope"], consume=False)

        matches = self._names(t, lang)
        self._drop_disjoint(matches)
        if "unit" in matches:
            plan.units = matches["unit"].names
        if "project" in matches:
            plan.projects = matches["project"].names
        if "indicator" in matches:
            plan.indicator_texts = matches["indicator"].names
        plan.terms = [s for m in matches.values() for s in m.segments]
        plan.asks = "target" if target_words else ("budget" if budget_words or total else None)

        if excluded:
            plan.exclude_units, plan.exclude_projects = excluded.get("unit", []), excluded.get("project", [])
        for cond in conditions:  # the first condition of each kind wins ("在50万元至150万元之间（含50万元）")
            self._place_condition(cond, plan, budget_words)
        if plan.amount_condition and plan.amount_condition.op == "=" and total and not plan.projects:
            plan.claim, plan.amount_condition = plan.amount_condition.value, None  # "is the total 4005.30?"
        plan.withheld = True if withheld else (False if disclosed else None)
        plan.quantified = False if unquantified else None
        plan.all_quantified, plan.uncategorized = all_quantified, uncategorized
        has_rows = bool(conversation and conversation.last_rows())
        plan.follow_up = has_rows and (strong_follow_up or ((weak_follow_up or not global_scope) and self._unanchored(plan)))
        plan.subject = "indicators" if subject_indicators else "projects"
        if desc or asc or plan.limit:
            plan.order = plan.order or ("asc" if asc and not desc else "desc")
            plan.limit = plan.limit or 1
            if re.search(r"指标(?:个数|数量|数)?最(?:多|少)|最(?:多|少)的?(?:绩效)?指标|(?:most|fewest|least) (?:performance )?indicators", t.text):
                plan.order_by = "indicators"
        compute: list[str] = []
        if reconcile:
            compute.append("reconcile")
        if numbering:
            compute.append("numbering")
        if count:
            compute.append("count")
        if average:
            compute.append("average")
        if plan.funding and not (plan.projects or plan.units or plan.indicator_texts):
            compute.append("funding")
        if share:
            compute += ["sum", "share"]
        if total and "sum" not in compute and not count and not reconcile:
            compute.append("sum")
        if plan.order:
            compute.append("top")
        if listing_indicators and plan.projects and not plan.indicator_texts:
            compute.append("indicators")
        plan.compute = compute or ["list"]  # type: ignore[assignment]
        plan.unknown = self._unknown_words(t, lang, matches)
        if plan.status == "answer" and self._needs_semantic(plan):
            self._semantic(question, plan)
        only_names = not (plan.withheld is not None or plan.quantified is not None or plan.amount_condition or plan.indicator_condition
                          or plan.funding or plan.all_quantified or plan.uncategorized or set(plan.compute) & {"reconcile", "numbering"})
        weak = only_names and bool(matches) and max(m.score for m in matches.values()) <= 2 and len(matches) == 1
        if plan.status == "answer" and plan.unknown and (self._unanchored(plan) or (weak and lang == "en" and not plan.follow_up)):
            # words that name nothing in the table, and nothing (or only one weak word) that does:
            # the question is about something the table does not hold ("the school bus service")
            plan.status = "not_found"
            plan.reason = " ".join(plan.unknown)
        return plan

    # -- pieces ----------------------------------------------------------------------------
    def _years(self, t: Text, plan: Plan) -> None:
        """A year the table does not cover means not_found; a year inside a project name is a name."""
        names = [fold(p.name) for p in self.corpus.projects()]
        for m in re.finditer(r"(20\d{2})\s*(?:年度?|fy|financial year)?", t.text):
            context = t.text[m.start():m.start() + 6]
            if any(context in n for n in names):
                continue
            year = int(m.group(1))
            t.consume(m.start(), m.end())
            if self.years and year not in self.years:
                plan.status, plan.year = "not_found", year
                plan.reason = f"{year}"

    def _top_n(self, t: Text, plan: Plan) -> None:
        num = r"(\d+|[一二两三四五六七八九十]{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
        ordinal = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}
        for rx, order in ((r"第([二两三四五六七八九十\d]{1,2})(?:高|大|多|贵)(?!级)", "desc"), (r"第([二两三四五六七八九十\d]{1,2})(?:低|小|少)", "asc"),
                          (r"(second|third|fourth|fifth|2nd|3rd|4th|5th)[- ](?:highest|largest|biggest|most expensive)", "desc"),
                          (r"(second|third|fourth|fifth|2nd|3rd|4th|5th)[- ](?:lowest|smallest|cheapest)", "asc")):
            for m in t.find(rx):
                n = ordinal.get(m.group(1)) or _small_number(m.group(1))
                if n:
                    plan.order, plan.limit, plan.offset = order, 1, n - 1  # type: ignore[assignment]
                    return
        for rx, order in (
            (rf"(?:最高|最大|最多|最贵|排名前|前)的?\s*{num}\s*(?:个|项|名|位)?", "desc"),
            (rf"(?:最低|最小|最少|最便宜|后)的?\s*{num}\s*(?:个|项|名|位)?", "asc"),
            (rf"(?:top|largest|biggest|highest|most expensive|greatest)\s+{num}", "desc"),
            (rf"{num}\s+(?:largest|biggest|highest|most expensive|greatest)", "desc"),
            (rf"(?:bottom|smallest|lowest|cheapest|least expensive)\s+{num}", "asc"),
            (rf"{num}\s+(?:smallest|lowest|cheapest|least expensive)", "asc"),
        ):
            for m in t.find(rx):
                n = _small_number(m.group(1))
                if n:
                    plan.order, plan.limit = order, n  # type: ignore[assignment]
                    return

    def _conditions(self, t: Text) -> list[Condition]:
        """Numeric conditions with their unit (None when none was written)."""
        unit_rx = "|".join(f"(?:{p})" for p, _ in self.measures)
        num = r"(\d+(?:\.\d+)?)"
        u = rf"\s*({unit_rx})?"
        ge = r"不低于|不少于|不小于|至少|大于等于|大于或等于|≥|>=|at least|no less than|not less than|(?:a )?minimum of|no fewer than"
        le = r"不高于|不超过|不多于|不大于|小于等于|≤|<=|at most|no more than|not more than|up to|(?:a )?maximum of|no higher than"
        gt = r"超过|大于|高于|多于|>|over|more than|above|greater than|exceeding|exceeds?|higher than"
        lt = r"低于|小于|少于|<|under|below|less than|fewer than|lower than"
        eq = r"等于|为|是|达到|=|exactly|equal to|equals?|of"
        out: list[Condition] = []

        def unit_of(raw: str | None) -> str | None:
            if not raw:
                return None
            return next((unit for p, unit in self.measures if re.fullmatch(p, raw)), raw)

        for m in t.find(rf"(?:在|介于|between|from)\s*{num}{u}\s*(?:到|至|和|与|-|~|～|and|to)\s*{num}{u}\s*(?:之间|以内|范围内|范围)?"):
            out.append(Condition(op="between", value=Decimal(m.group(1)), upper=Decimal(m.group(3)), unit=unit_of(m.group(4) or m.group(2))))
        for words, op in ((ge, "≥"), (le, "≤"), (gt, ">"), (lt, "<")):
            for m in t.find(rf"(?:{words})\s*{num}{u}"):
                out.append(Condition(op=op, value=Decimal(m.group(1)), unit=unit_of(m.group(2))))  # type: ignore[arg-type]
        suffix = {"≥": r"及以上|或以上|以上|or more|and above|or above|or higher|plus|\+", "≤": r"及以下|或以下|以下|以内|or less|or below|and below|or fewer|or lower"}
        for op, words in suffix.items():
            for m in t.find(rf"{num}{u}\s*(?:{words})"):
                out.append(Condition(op=op, value=Decimal(m.group(1)), unit=unit_of(m.group(2))))  # type: ignore[arg-type]
        for m in t.find(rf"(?<![\d.]){num}\s*(?:[a-z-]+\s+){{0,2}}?({unit_rx})(?![a-z])(?![一-鿿](?<![的以及或和是]))", consume=False):
            # "365 service days": the number and its unit are the condition; "service" stays a word
            t.consume(m.start(1), m.end(1))
            t.consume(m.start(2), m.end(2))
            t.soft |= set(range(m.start(2), m.end(2)))
            out.append(Condition(op="=", value=Decimal(m.group(1)), unit=unit_of(m.group(2))))
        for m in t.find(rf"(?:{eq})\s*{num}(?![\d.])"):
            out.append(Condition(op="=", value=Decimal(m.group(1))))
        return out

    def _place_condition(self, cond: Condition, plan: Plan, budget_words: bool) -> None:
        """A condition is on the amount (万元) or on an indicator target (%, 天, 个 …)."""
        if cond.unit in ("万元", "元"):
            if cond.unit == "元":
                cond = cond.model_copy(update={"value": cond.value / 10000, "upper": cond.upper / 10000 if cond.upper else None})
            on_amount = True
        else:
            on_amount = cond.unit is None and not plan.indicator_texts and budget_words
        if on_amount and plan.amount_condition is None:
            plan.amount_condition = cond.model_copy(update={"unit": "万元"})
        elif not on_amount and plan.indicator_condition is None:
            plan.indicator_condition = cond

    def _query(self, t: Text, lang: str) -> tuple[str, list[set[int]], list[list[range]]]:
        """What names are matched against, and the position groups that stand or fall together.

        A Chinese question is matched as written (question words masked); glossary translations of
        English phrases and Chinese synonyms are appended as further fragments.
        """
        rest = t.rest(soft=True)
        stop = sorted(self.g["stop_zh"], key=len, reverse=True)
        stop_rx = "|".join(re.escape(s) for s in stop)
        base = fold(re.sub(stop_rx, "|", rest)) if lang == "zh" else ""
        pieces: list[tuple[list[str], set[int]]] = []  # (alternatives, positions in base they came from)
        for term in self.g["terms"]:
            for pattern in sorted(term["en"], key=len, reverse=True):
                if t.find(rf"(?<![a-z]){pattern}(?![a-z])"):
                    pieces.append(([fold(z) for z in term["zh"]], set()))
                    break
        for word, extra in self.g["zh_synonyms"].items():
            at = base.find(fold(word))
            if at >= 0:
                pieces.append(([fold(e) for e in extra], set(range(at, at + len(word)))))
        if lang == "en":
            leftover = t.rest()
            latin = [w for w in re.findall(r"[a-z0-9][a-z0-9&.-]*", leftover) if len(w) >= 3 and w not in self.g["stop_en"]]
            cjk = [c for c in re.findall(r"[一-鿿()（）\d-]{2,}", leftover) if re.search(r"[一-鿿]", c)]
            pieces += [([fold(w)], set()) for w in latin + cjk]
        query, groups, spans = base, [], []
        for alternatives, origin in pieces:
            start = len(query) + 1
            alt_spans = []
            for alt in alternatives:
                alt_spans.append(range(len(query) + 1, len(query) + 1 + len(alt)))
                query += "|" + alt
            groups.append(set(range(start, len(query))) | origin)
            spans.append(alt_spans)
        return query, groups, spans

    def _names(self, t: Text, lang: str) -> dict[str, Any]:
        query, groups, spans = self._query(t, lang)
        return resolve(query, [self.units, self.projects, self.indicators], groups=groups, alternatives=spans)

    def _unknown_words(self, t: Text, lang: str, matches: dict[str, Any]) -> list[str]:
        """Content words that neither the glossary, the cues nor a table name account for."""
        rest = t.rest()
        if lang == "en":
            words = re.findall(r"[a-z][a-z0-9&'-]*|\d+", rest)
            stop = set(self.g["stop_en"])
            return [w for w in words if w not in stop and not w.isdigit() and len(w) > 2]
        stop = sorted(self.g["stop_zh"] + self.g["generic"], key=len, reverse=True)
        rest = re.sub("|".join(re.escape(s) for s in stop), " ", rest)
        used = set()
        for m in matches.values():
            used |= set("".join(m.segments))
        chunks = re.findall(r"[一-鿿]{2,}", rest)
        return [c for c in chunks if len(set(c) - used) >= 2]

    def _unanchored(self, plan: Plan) -> bool:
        """True when nothing in the plan ties the question to rows of the table."""
        return not (plan.units or plan.projects or plan.indicator_texts or plan.withheld is not None or plan.quantified is not None
                    or plan.amount_condition or plan.indicator_condition or plan.funding or plan.follow_up
                    or plan.all_quantified or plan.uncategorized or plan.exclude_units or plan.exclude_projects
                    or plan.claim is not None or set(plan.compute) & {"reconcile", "numbering"})

    def _drop_disjoint(self, matches: dict[str, Any]) -> None:
        """A project and an indicator matched in one question should meet; when none of the matched
        indicators belongs to a matched project, the weaker match was noise ("属于哪个单位")."""
        if "project" not in matches or "indicator" not in matches:
            return
        keys = set(matches["indicator"].names)
        names = set(matches["project"].names)
        if any(p.name in names and indicator_key(i) in keys for p, i in self.corpus.indicators()):
            return
        weaker = "indicator" if matches["indicator"].score <= matches["project"].score else "project"
        del matches[weaker]

    def _exclusions(self, t: Text, lang: str) -> dict[str, list[str]]:
        """Names after "excluding" / "除了…以外": resolved like any name, then taken out of the rows."""
        out: dict[str, list[str]] = {}
        for key in ("en", "zh"):
            for m in t.find(self.g["exclusion"][key]):
                sub = Text(m.group(1))
                for kind, match in self._names(sub, detect_language(m.group(1)) if key == "en" else "zh").items():
                    out.setdefault(kind, []).extend(match.names)
        return out

    def _needs_semantic(self, plan: Plan) -> bool:
        return bool(plan.unknown) and self._unanchored(plan) and self.store is not None

    def _semantic(self, question: str, plan: Plan) -> None:
        """Words outside the glossary: ask the index for the nearest row. It is offered as a
        suggestion ("did you mean …?"), never used as an answer, and only when it stands clearly
        apart from the next one: the bundled model's similarities are close together."""
        try:
            hits = self.store.search(question, k=4) if self.store else []
        except Exception:  # no index (a bare corpus in tests) or another embedder: rules only
            return
        if len(hits) < 2:
            return
        (_, s1, m1), (_, s2, _m2) = hits[0], hits[1]
        if s1 >= 0.78 and s1 - s2 >= 0.02:
            plan.status, plan.suggestion = "needs_clarification", m1["project"]
            plan.reason = " ".join(plan.unknown)
