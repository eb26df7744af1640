"""Turn a question (and the conversation so far) into a :class:`Plan`: which rows, what to compute.

The offline planner is deterministic: rules over the question, a bilingual glossary kept as data
(``data/glossary.json``), lexical matching of table names (:mod:`assistant.matching`) and, when the
words are not in the glossary, the embeddings in the index. When a chat model is configured it is
asked for the plan first (:mod:`assistant.llm`); the offline plan is the fallback.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .lexicon import build_lexicon, english_key
from .matching import NameIndex, claimed_by, fold, mask, resolve
from .questions import Condition, Text, small_number, detect_language, read_conditions, read_rank
from .records import Corpus, Indicator

if TYPE_CHECKING:
    from .config import Settings
    from .conversation import Conversation
    from .index import Store

GLOSSARY_PATH = Path(__file__).parent / "data" / "glossary.json"
Compute = Literal["list", "sum", "count", "average", "share", "top", "reconcile", "numbering", "indicators", "funding", "compare"]


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
    amount_bound: Condition | None = Field(None, description="a second bound on the amount ('more than A but under B')")
    withheld: bool | None = None
    quantified: bool | None = None
    target_texts: list[str] = Field(default_factory=list, description="target values asked for word for word (稳步提升)")
    measure: str | None = Field(None, description="the unit a target is counted in (人次, 亩), with no number")
    categories: list[str] = Field(default_factory=list, description="indicator categories (产出, 质量)")
    indicator_count: Condition | None = Field(None, description="how many indicators a project has (只设了两条指标)")
    unit_proper: bool = Field(False, description="the unit itself (本级), not the department of the same name")
    check: bool = Field(False, description="a yes/no question: the named project's rows are shown and the condition judged")
    share_of: list[str] = Field(default_factory=list, description="units whose total is the base of a share (else the department)")
    share_proper: bool = Field(False, description="the share is of the unit itself (本级)")
    share_department: bool = Field(False, description="the department's share is asked too")
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

    def named(self) -> bool:
        """Whether the plan names units, projects or indicators."""
        return bool(self.units or self.projects or self.indicator_texts)

    def filtered(self) -> bool:
        """Whether rows are chosen by more than names: a condition, a review cue, a funding column."""
        return bool(self.withheld is not None or self.quantified is not None or self.amount_condition
                    or self.indicator_condition or self.funding or self.all_quantified or self.uncategorized
                    or self.target_texts or self.measure or self.indicator_count or self.categories
                    or set(self.compute) & {"reconcile", "numbering"})

    def share_base(self) -> str:
        """The unit a share is taken of, as labels name it (广州对外交流发展中心, or …本级)."""
        return "、".join(self.share_of) + ("本级" if self.share_proper else "")

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


_COUNT = (r"(?<![这那哪])(?:多少|几)(?:个|项|条)?(?:绩效指标|指标|项目|单位)|(?:项目|指标)(?:个数|数量|数目)"
          r"|(?:指标|项目)[^，,。？?]{0,6}?(?:一共|总共|共)?有?(?:多少|几)(?:个|项)"
          # (only "how many" is taken: the words between may name a unit, "how many of the development centre's projects")
          r"|how many(?=(?: of)?(?: the)?(?: [a-z-]+){0,3}? (?:projects?|indicators?|targets?|units?|programmes?))"
          r"|number of (?:projects?|indicators?)|count (?:the )?(?:projects?|indicators?)")


class Planner:
    """The offline planner over one corpus (and the optional chat-model planner in front of it)."""

    def __init__(self, corpus: Corpus, store: "Store | None" = None, settings: "Settings | None" = None,
                 chat_model: Any = None) -> None:
        self.corpus = corpus
        self.store = store
        self.g = glossary()
        generic = self.g["generic"]
        unit_names = {u.name for _, u in corpus.units()} | {d.name for d in corpus.departments}
        self.units = NameIndex("unit", unit_names, generic, shared_by_all=True)
        self.projects = NameIndex("project", [p.name for p in corpus.projects()], generic)
        self.indicators = NameIndex("indicator", [indicator_key(i) for _, i in corpus.indicators()],
                                    generic, preferred_after="：")
        self.years = {d.year for d in corpus.departments if d.year}
        self.measures = self._measures()
        # targets that are words, not numbers (稳步提升, 平稳有序运转): a question may quote them
        self.word_targets = sorted({fold(i.target) for _, i in corpus.indicators()
                                    if i.target and len(fold(i.target)) >= 2 and not re.search(r"\d", i.target)},
                                   key=len, reverse=True)
        names = unit_names | set(self.projects.names) | {i.name for _, i in corpus.indicators()}
        self.lexicon = build_lexicon(names, self.g["parts"])
        self.corpus_text = "|".join(sorted(names | {d.name for d in corpus.departments} | set(self.indicators.names)))
        self.corpus_folded = fold(self.corpus_text)
        # glossary terms whose Chinese stands in this table (the others are left to the lexicon)
        self._terms = [([rf"(?<![a-z]){p}(?![a-z])" for p in sorted(term["en"], key=len, reverse=True)],
                        [fold(z) for z in term["zh"]])
                       for term in self.g["terms"] if any(fold(z) in self.corpus_folded for z in term["zh"])]
        self._stop_zh = re.compile("|".join(re.escape(w) for w in sorted(self.g["stop_zh"], key=len, reverse=True)))
        unit_folded = [fold(n) for n in unit_names]
        self.department_words = {w for words in self.lexicon.values() for w in map(fold, words)
                                 if len(unit_folded) > 1 and all(w in u for u in unit_folded)}
        # "局里", "本局", "委里": the unit that bears the department's name
        self._own_unit_words = [(w, [fold(d.name)]) for d in corpus.departments for suffix, words in
                                (("局", ["局里", "本局", "局本级", "局机关"]), ("委员会", ["委里", "本委", "委本级", "委机关"]),
                                 ("厅", ["厅里", "本厅", "厅本级", "厅机关"]), ("办公室", ["办里", "本办"]))
                                if d.name.endswith(suffix) for w in words]
        # the table's own city ("the Nanjing ... institute") names no row, and is no unknown word either
        self._stop_en_here = set(self.g["stop_en"]) | {en for en, zh in self.g["cities"].items() if zh in self.corpus_text}
        self._categories_here = {i.category for _, i in corpus.indicators()}
        self._synonym_words = "|".join(fold(w) for w, _ in list(self.g["zh_synonyms"].items()) + self._own_unit_words)
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
            query, _, spans, _ = self._query(Text(text), detect_language(text))
            match = index.best(query, alternatives=spans)
            if match:
                found += match.names
            else:
                missing.append(text)
        return list(dict.fromkeys(found)), missing

    def rule_plan(self, question: str, conversation: "Conversation | None" = None) -> Plan:
        """The deterministic plan: read the cues, find the names, place the numbers, decide."""
        lang = detect_language(question)
        t = Text(question)
        plan = Plan(question=question, language=lang)
        t.has(self.g["cues"]["any"])  # "at least one indicator" means "any", not a number or an order
        non_fiscal = t.has(self.g["funding"]["non_fiscal"])  # "anything other than fiscal appropriations"
        excluded = self._exclusions(t, lang)
        if excluded.pop("disclosed", None):
            plan.withheld = False
        t.has(self.g["cues"]["examples"])  # "（比如产出指标、效益指标）" illustrates, it does not filter
        self._years(t, plan)
        self._places(t, plan)
        for scope in self.g["out_of_scope"]:
            hits = [m.group() for p in scope["zh"] + scope["en"]
                    for m in t.find(rf"(?<![a-z]){p}(?![a-z])" if re.match(r"[a-z%(]", p) else p, consume=False)]
            if scope.get("unless_in_table"):
                hits = [h for h in hits if fold(h) not in self.corpus_folded]  # 住宿费 may be a project of its own
            if scope.get("unless_corpus_has", "\x00") in self.corpus_folded:
                hits = []  # "actually utilised foreign investment" when the table holds 实际利用外资
            hits = [h for h in hits if not self._glued(t.text, h)]  # 编制 of 规划编制 is no staffing
            if hits:
                plan.status, plan.reason = "not_found", scope["what_en"] if lang == "en" else scope["what_zh"]
        self._share_base(t, lang, plan)
        plan.indicator_count = self._indicator_count(t)
        plan.target_texts = self._target_texts(t)
        named = self._quoted_in_names(t)  # 名称里带“专项经费”的项目
        rank = read_rank(t)
        if rank:
            plan.order, plan.limit, plan.offset = rank  # type: ignore[assignment]
        plan.measure = self._measure(t)
        plan.categories = self._categories(t)
        conditions = read_conditions(t, self.measures)
        plan.funding = [k for k in ("special", "other", "fiscal") if t.has(self.g["funding"][k])]  # type: ignore[misc]
        if non_fiscal:
            plan.funding = ["special", "other"]
        comparing = t.has(self.g["cues"]["compare"])  # "比外事宣传项目多多少", "by how much": two projects
        cue = self._read_cues(t)

        unit_first = t.has(self.g["cues"]["unit_projects"], consume=False)  # "which projects does X run?"
        indicator_asked = any(c.unit not in (None, "万元", "元") for c in conditions) or t.has(self.g["cues"]["indicator_concept"], consume=False)
        budget_first = cue["money"] and not cue["target"] and not indicator_asked
        matches, translated, pieces_used = self._names(t, lang, comparing, unit_first, indicator_asked, budget_first)
        structural = plan.funding or any(cue[k] for k in ("withheld", "disclosed", "unquantified", "all_quantified",
                                                          "uncategorized", "numbering", "reconcile"))
        if structural and matches and max(m.score for m in matches.values()) <= 2 and not self._fits(matches, cue, plan.funding):
            matches = {}  # "有几个项目的信息没有公开": the cue is the question; 信息 is not a name here
        self._place_names(plan, matches, cue)
        if named:
            plan.projects = sorted(set(plan.projects) | set(named)) if plan.projects else named
        plan.exclude_units, plan.exclude_projects = excluded.get("unit", []), excluded.get("project", [])
        plan.unit_proper = bool(plan.units) and cue["unit_proper"]
        for cond in conditions:  # the first condition of each kind wins ("在50万元至150万元之间（含50万元）")
            self._place_condition(cond, plan, cue["budget"])
        if plan.amount_condition and plan.amount_condition.op == "=" and cue["sum"] and not plan.projects:
            plan.claim, plan.amount_condition = plan.amount_condition.value, None  # "is the total 4005.30?"
        plan.withheld = True if cue["withheld"] else (False if cue["disclosed"] or plan.withheld is False else None)
        plan.quantified = False if cue["unquantified"] else None
        plan.all_quantified, plan.uncategorized = cue["all_quantified"], cue["uncategorized"]
        plan.check = cue["yes_no"] and bool(plan.projects) and plan.indicator_condition is not None
        plan.follow_up = bool(conversation and conversation.last_rows()) and (
            cue["follow_up"] or ((cue["weak_follow_up"] or not cue["global_scope"]) and self._unanchored(plan)))
        plan.subject = "indicators" if cue["count_indicators"] or cue["average_indicators"] else "projects"
        if cue["desc"] or cue["asc"] or plan.limit:
            plan.order = plan.order or ("asc" if cue["asc"] and not cue["desc"] else "desc")
            plan.limit = plan.limit or 1
            plan.order_by = "indicators" if cue["most_indicators"] else "total"
        cue["compare"] = comparing
        if comparing:
            plan.order, plan.limit = None, None  # "which is bigger, and by how much": both rows, and the difference
        plan.compute = self._computations(plan, cue)  # type: ignore[assignment]
        plan.unknown = [w for w in self._unknown_words(t, lang, matches) if w not in translated]
        if plan.status == "answer" and self._needs_semantic(plan):
            self._semantic(question, plan)
        if plan.status == "answer" and plan.unknown and self._about_something_else(plan, matches, pieces_used):
            plan.status, plan.reason = "not_found", " ".join(plan.unknown)
        if cue["follow_up"] and not (conversation and conversation.last_rows()) and self._unanchored(plan) and not plan.order:
            # "它们合计多少？" with nothing asked before: say so, rather than "the table has no 它们"
            plan.status, plan.reason, plan.suggestion = "needs_clarification", "follow_up", None
        return plan

    def _read_cues(self, t: Text) -> dict[str, bool]:
        """Which of the glossary's cue words the question holds (order matters: each consumes its words)."""
        cues = self.g["cues"]
        c: dict[str, bool] = {}
        t.has(cues["inclusion"])  # "（不宜公开的也算）" includes, it does not filter
        c["yes_no"] = t.has(cues["yes_no"], consume=False)
        not_withheld = t.has(cues["not_withheld"])  # "not marked as withheld" is the disclosed ones
        c["withheld"] = not not_withheld and t.has(cues["withheld"])
        c["disclosed"] = not_withheld or (not c["withheld"] and t.has(cues["disclosed"]))
        for key in ("all_quantified", "uncategorized", "unquantified", "numbering", "reconcile", "share", "average"):
            c[key] = t.has(cues[key])
        c["unquantified"] = c["unquantified"] and not c["all_quantified"]  # "every one quantified, no vague targets"
        c["average_indicators"] = t.has(cues["average_indicators"])
        c["average"] = c["average"] or c["average_indicators"]
        c["count"] = bool(t.find(_COUNT))
        c["listing_indicators"] = t.has(cues["indicators"], consume=False)
        c["sum"] = t.has(cues["sum"])
        c["desc"], c["asc"] = t.has(cues["desc"]), t.has(cues["asc"])
        c["budget"] = t.has(cues["budget"], consume=False)
        c["money"] = bool(re.search("|".join(cues["money_words"]), t.text))  # on the whole question: 多少钱 is a sum cue too
        c["target"] = t.has(cues["target"], consume=False)
        t.has(cues["department"])  # "the whole department" is the default scope, not a name
        c["count_indicators"] = c["count"] and bool(re.search(r"指标|indicator", t.text)) and not re.search(
            r"(?:多少|几)(?:个|项)?项目|how many(?: [a-z-]+){0,3}? projects?", t.text)
        c["most_indicators"] = bool(re.search(
            r"指标(?:个数|数量|数)?最(?:多|少)|最(?:多|少)的?(?:绩效)?指标|(?:most|fewest|least) (?:performance )?indicators", t.text))
        c["follow_up"] = t.has(cues["follow_up_zh"], consume=False) or t.has([re.escape(w) for w in cues["follow_up_en"]], consume=False)
        c["weak_follow_up"] = (t.has(cues["follow_up_weak_zh"], consume=False)
                               or t.has([re.escape(w) for w in cues["follow_up_weak_en"]], consume=False)
                               or bool(re.match(r"\s*(?:" + "|".join(cues["follow_up_start"]) + ")", t.text)))
        c["global_scope"] = t.has(cues["global_scope"], consume=False)
        c["unit_proper"] = t.has(cues["unit_proper"])
        return c

    def _fits(self, matches: dict[str, Any], cue: dict[str, bool], funding: list[str]) -> bool:
        """Whether a weakly matched project has what the question asks about (其他资金, withheld):
        "the seed industry project's other funds" names it; "有几个项目的信息没有公开" does not."""
        if not {"project", "unit"} & set(matches) or any(cue[k] for k in ("numbering", "reconcile")):
            return False
        named = set(matches["project"].names) if "project" in matches else set()
        units = set(matches["unit"].names) if "unit" in matches else set()
        for p in self.corpus.projects():
            if p.name not in named and p.unit not in units:
                continue
            if ((not funding or any(getattr(p, k) for k in funding))
                    and (not cue["withheld"] or p.withheld) and (not cue["disclosed"] or not p.withheld)
                    and (not cue["unquantified"] or any(not i.quantified for i in p.indicators))
                    and (not cue["all_quantified"] or (p.indicators and all(i.quantified for i in p.indicators)))):
                return True
        return False

    def _place_names(self, plan: Plan, matches: dict[str, Any], cue: dict[str, bool]) -> None:
        """Matched units, projects and indicators into the plan."""
        if "unit" in matches:
            plan.units = matches["unit"].names
        if "project" in matches:
            plan.projects = matches["project"].names
        own = matches.pop("own_indicator", None)
        if "indicator" in matches:
            plan.indicator_texts = matches["indicator"].names
        elif own and cue["target"] and not cue["listing_indicators"]:
            plan.indicator_texts = own.names
            matches["indicator"] = own
        plan.terms = [s for m in matches.values() for s in m.segments]
        plan.asks = "target" if cue["target"] else ("budget" if cue["budget"] or cue["sum"] else None)

    @staticmethod
    def _computations(plan: Plan, cue: dict[str, bool]) -> list[str]:
        """What to compute over the rows, from the cues and what the plan already holds."""
        compute = [k for k in ("reconcile", "numbering", "count", "average", "compare") if cue[k]]
        if plan.funding and not (plan.projects or plan.units or plan.indicator_texts):
            compute.append("funding")
        if cue["share"] or plan.share_of:
            compute += ["sum", "share"]
        # "一共有多少个项目" counts; "有几个项目…，预算加起来多少" counts and sums
        if cue["sum"] and "sum" not in compute and not cue["reconcile"] and (not cue["count"] or cue["money"]):
            compute.append("sum")
        if plan.order:
            compute.append("top")
        if cue["listing_indicators"] and plan.projects and not plan.indicator_texts:
            compute.append("indicators")
        return compute or ["list"]

    def _about_something_else(self, plan: Plan, matches: dict[str, Any], pieces_used: int) -> bool:
        """Words that name nothing in the table, and nothing — or only one weak word — that does:
        the question is about something the table does not hold ("the school bus service")."""
        if self._unanchored(plan):
            return True
        if plan.follow_up:
            return False
        if plan.language != "en":
            # "民政局办公楼的租金预算": a unit, and words that name nothing of it
            plain = plan.compute in (["list"], ["sum"]) and not (plan.withheld is not None or plan.quantified is not None
                                                             or plan.amount_condition or plan.indicator_condition or plan.funding)
            unknown_chars = sum(map(len, plan.unknown))
            best = max(m.score for m in matches.values()) if matches else 0
            # "民政局办公楼的租金": a unit and words that name nothing of it; "马拉松赛事保障经费": one
            # weak word of a name the table does not have
            # "电动自行车产品质量监督抽查项目": pieces of several names (品质量, 监督抽), and a long run of
            # words that name nothing: a project the table does not have
            longest = max(map(len, plan.unknown), default=0)
            return plain and ((set(matches) == {"unit"} and unknown_chars >= 4)
                              or (len(matches) == 1 and best <= 2 and unknown_chars >= 3)
                              or (set(matches) == {"project"} and best <= 3 and longest >= 5))
        only_names = not plan.filtered()
        # English words that neither the glossary nor this table's dictionary words know at all
        foreign = [w for w in plan.unknown if english_key(w) not in self.lexicon]
        best = max(m.score for m in matches.values()) if matches else 0
        weak = only_names and len(matches) == 1 and best <= 2
        written_out = "unit" in matches and any(fold(n) in fold(plan.question) for n in matches["unit"].names)
        if (only_names and set(matches) == {"unit"} and not written_out and foreign and len(plan.unknown) >= 2
                and plan.compute in (["list"], ["sum"])):
            return True  # "the Terracotta Warriors museum renovation project": a unit, and a thing it does not have
        outnumbered = only_names and best <= 3 and len(foreign) >= 2 and len(foreign) > pieces_used
        # "the Xiamen cancer hospital construction project": one weak word (建设) several projects share,
        # and a word that names nothing
        if only_names and "project" in matches and matches["project"].score <= 2 and len(matches["project"].names) >= 3 and foreign:
            return True
        return bool(weak and foreign) or outnumbered

    # -- pieces ----------------------------------------------------------------------------
    def _share_base(self, t: Text, lang: str, plan: Plan) -> None:
        """"占发展中心总预算的比例", "as a share of the museum's budget": the unit a share is of
        (``share_of``; 本级: the unit itself), and whether the department's share is asked too.
        The unit's words are taken out of the question."""
        for pattern in self.g["share_base"][lang]:
            for m in t.find(pattern, consume=False):
                sub = Text(m.group(1))
                if sub.has(self.g["cues"]["department"], consume=False):
                    plan.share_department = True
                    t.consume(m.start(1), m.end(1))  # "占全局合计的比例" is the base, not the rows
                    continue
                proper = sub.has(self.g["cues"]["unit_proper"] + ["own"])  # "the office unit's own budget"
                query, _, spans, _ = self._query(sub, lang)
                units = self.units.best(query, 2, spans)
                if units and not plan.share_of:
                    t.consume(m.start(1), m.end(1))
                    plan.share_of, plan.share_proper = units.names, proper

    def _indicator_count(self, t: Text) -> Condition | None:
        """"只设了两条绩效指标", "projects with more than 4 indicators": a condition on how many."""
        num = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
        ops = {"≥": r"不少于|至少|不低于|at least|no fewer than|no less than|a minimum of",
               "≤": r"不多于|不超过|至多|at most|no more than|a maximum of|up to",
               ">": r"多于|超过|大于|more than|over|above", "<": r"少于|不到|低于|fewer than|less than|under|below"}
        suffix = {"≥": r"及以上|或以上|以上|or more|and above|\+", "≤": r"及以下|或以下|以下|or fewer|or less"}
        before = "|".join(f"(?P<{n}>{w})" for n, w in zip(("ge", "le", "gt", "lt"), ops.values()))
        after = "|".join(f"(?P<s{n}>{w})" for n, w in zip(("ge", "le"), suffix.values()))
        rx = (rf"(?:(?:{before})\s*)?(?<![第\d.]){num}\s*(?:条|个|项)?\s*(?:绩效)?(?:performance\s+)?(?:指标|indicators?)(?:\s*(?:{after}))?"
              r"(?!值|名称|内容|类别)")
        for m in t.find(rx):
            if re.match(r"\d", m.group(5) or "") and not re.search(r"条|个|项|indicator", m.group(0)):
                continue
            n = small_number(m.group(5))
            if n is None:
                continue
            op = next((o for o, g in zip(("≥", "≤", ">", "<", "≥", "≤"), ("ge", "le", "gt", "lt", "sge", "sle")) if m.group(g)), "=")
            return Condition(op=op, value=Decimal(n))  # type: ignore[arg-type]
        return None

    def _target_texts(self, t: Text) -> list[str]:
        """Target values written out in the question ("literally reads 稳步提升", "指标值为“不断优化”"):
        words of four characters or more, or quoted, that are a whole target of the table."""
        found = []
        for target in self.word_targets:
            quoted = re.search(rf"[“\"「『‘']{re.escape(target)}[”\"」』’']", t.text)
            if len(target) < 4 and not quoted:
                continue
            for m in t.find(re.escape(target)):
                found.append(target)
        return list(dict.fromkeys(found))

    def _categories(self, t: Text) -> list[str]:
        """"How many output indicators", "质量指标有几个": indicator categories this table uses
        (满意度 is left to the names: a 满意度指标 may hold a complaint count)."""
        found = []
        for category, words in self.g["cues"]["indicator_categories"].items():
            if category in self._categories_here and t.find(rf"(?<![a-z一-鿿])(?:{'|'.join(words)})\s*(?:performance\s+)?(?:indicators?|指标)(?!值)",
                                           consume=False):  # the words still count ("how many output indicators")
                found.append(category)
        return found

    def _quoted_in_names(self, t: Text) -> list[str]:
        """Project names holding a quoted fragment of the question ("名称里带“专项经费”的项目")."""
        for m in t.find(r"[“\"「『‘']([^”\"」』’']{2,20})[”\"」』’']", consume=False):
            names = [p for p in self.projects.names if fold(m.group(1)) in fold(p)]
            if names:
                t.consume(m.start(), m.end())
                return names
        return []

    def _measure(self, t: Text) -> str | None:
        """"targets measured in 人次", "按人次设定的指标", "面积以亩计": the unit a target is counted in."""
        unit_rx = "|".join(f"(?:{p})" for p, _ in self.measures)
        for pattern in self.g["measure_cues"]:
            for m in t.find(pattern.replace("UNIT", f"[“\"「『‘']?({unit_rx})[”\"」』’']?")):
                raw = next(g for g in m.groups() if g)
                unit = next((u for p, u in self.measures if re.fullmatch(p, raw)), raw)
                t.has([rf"[(（]\s*(?:{p})\s*[)）]" for p, u in self.measures if u == unit])  # "person-times (人次)": said twice
                return unit
        return None

    def _places(self, t: Text, plan: Plan) -> None:
        """A city the tables do not mention (深圳市外办, Shanghai's office), or a bureau none of the
        table's units is (广州市商务局; 应急局 is one: its characters stand in order in 合肥市应急管理局),
        is another department."""
        for m in re.finditer(r"[一-鿿]{2,10}?(?:局|厅|委员会)(?![一-鿿]{0,2}(?:项目|经费|资金))", t.text):
            org = m.group()
            if re.search(r"[全本该此我贵](?:局|厅|委员会)$", org):
                continue  # 全局, 本局: the department itself
            tails = [org[k:] for k in range(len(org) - 2)]  # 市场监管局 of "…经费占市场监管局" is a unit
            if tails and not any(fold(x) in self.corpus_folded or any(self._in_order(x, u) for u in self.units.names) for x in tails):
                plan.status, plan.reason = "not_found", org[-6:]
        for en, zh in self.g["cities"].items():
            if (zh in t.text or re.search(rf"\b{en}\b", t.text)) and zh not in self.corpus_text:
                plan.status, plan.reason = "not_found", zh

    def _years(self, t: Text, plan: Plan) -> None:
        """A year the table does not cover means not_found; a year inside a project name is a name."""
        names = [fold(p.name) for p in self.corpus.projects()]
        for m in re.finditer(r"(20\d{2})\s*[-–—~至到]\s*(20\d{2})", t.text):
            if any(f"{m.group(1)}-{m.group(2)}" in n for n in names):
                t.consume(m.start(), m.end())  # 2023-2024年信息化运维项目: a range inside a name is the name
                t.soft |= set(range(m.start(), m.end()))  # ... and still matches that name
        for m in t.find(r"(20\d{2})\s*(?:年度?|fy|financial year)?", consume=False):
            year = int(m.group(1))
            t.consume(m.start(), m.end())
            if self.years and year not in self.years:
                plan.status, plan.year = "not_found", year
                plan.reason = f"{year}"

    def _place_condition(self, cond: Condition, plan: Plan, budget_words: bool) -> None:
        """A condition is on the amount (万元) or on an indicator target (%, 天, 个 …)."""
        if cond.about == "target" and cond.unit is None:
            on_amount = False
        elif cond.unit in ("万元", "元"):
            if cond.unit == "元":
                cond = cond.model_copy(update={"value": cond.value / 10000, "upper": cond.upper / 10000 if cond.upper else None})
            on_amount = True
        else:
            on_amount = cond.unit is None and not plan.indicator_texts and budget_words
        lower, upper = {"≥", ">"}, {"≤", "<"}
        first = plan.amount_condition
        if on_amount and first is None:
            plan.amount_condition = cond.model_copy(update={"unit": "万元"})
        elif on_amount and plan.amount_bound is None and {first.op, cond.op} & lower and {first.op, cond.op} & upper:
            plan.amount_bound = cond.model_copy(update={"unit": "万元"})  # "more than 1.5 million but under 5 million"
        elif not on_amount and plan.indicator_condition is None:
            plan.indicator_condition = cond

    def _query(self, t: Text, lang: str) -> tuple[str, list[set[int]], list[list[range]], dict[str, set[int]]]:
        """What names are matched against, and the position groups that stand or fall together.

        A Chinese question is matched as written (question words masked); glossary translations of
        English phrases and Chinese synonyms are appended as further fragments, and so are the
        table's Chinese words for English words outside the glossary (:mod:`assistant.lexicon`).
        Also returns, per such English word, the query positions of its Chinese words.
        """
        rest = t.rest(soft=True)
        base = fold(self._stop_zh.sub(self._unless_in_a_name, rest)) if lang == "zh" else ""
        pieces: list[tuple[list[str], set[int]]] = []  # (alternatives, positions in base they came from)
        before_terms = t.rest()
        # the longest phrase wins, across terms: "the IT centre" is 信息中心 before "IT" is 信息化
        hits = sorted(((m.end() - m.start(), -m.start(), m.start(), m.end(), k) for k, (patterns, _) in enumerate(self._terms)
                       for p in patterns for m in t.find(p, consume=False)), reverse=True)
        found_terms: list[int] = []
        for _, _, start, end, k in hits:
            if not any(t.used[start:end]):
                t.consume(start, end)
                if k not in found_terms:
                    found_terms.append(k)
        pieces += [(self._terms[k][1], set()) for k in found_terms]
        for word, extra in list(self.g["zh_synonyms"].items()) + self._own_unit_words:
            at = base.find(fold(word))
            inside_a_name = at >= 0 and base[max(0, at - 2):at + len(word) + 2] in self.corpus_folded
            if at >= 0 and not inside_a_name:  # 外办 is a synonym, but not inside 驻外办事处
                pieces.append(([fold(e) for e in extra], set(range(at, at + len(word)))))
        for at, words_ in self._abbreviations(base):  # 地灾 -> 地质灾害, 外宣 -> 外事宣传
            pieces.append((words_, set(range(at, at + 2))))
        # English words outside the glossary (or whose glossary Chinese is not in this table:
        # "maintenance" is 维护 in the glossary, 养护 in a roads table) go through the lexicon
        words: list[tuple[str, int]] = []  # English words looked up in the lexicon, and their piece
        if lang == "en":
            leftover = t.rest(soft=True)
            # a unit of measure read with its number ("0 incidents") names no indicator; a year range
            # inside a name ("2024-2025") still does
            latin = [m.group() for m in re.finditer(r"[a-z0-9][a-z0-9&.-]*", leftover)
                     if len(m.group()) >= 3 and m.group() not in self.g["stop_en"]
                     and not (m.group().isalpha() and m.start() in t.soft)]
            cjk = [c for c in re.findall(r"[一-鿿()（）\d-]{2,}", leftover) if re.search(r"[一-鿿]", c)]
            pieces += [([fold(w)], set()) for w in latin + cjk]
            # "high-standard" is looked up as "high" and "standard"
            latin = [p for w in latin for p in ([w] if "-" not in w else [w] + [x for x in w.split("-") if len(x) >= 3])]
            seen: dict[tuple[str, ...], int] = {}
            # words in a row may name one Chinese word ("seed industry" -> 种业, "extension station" -> 推广站);
            # a run may hold a glossary word ("notary office" -> 公证处) if it also holds a word the
            # glossary left; units of measure ("365 service days") are not words of a run
            after_terms = t.rest()
            for run in re.finditer(r"[a-z]+(?:[ -][a-z]+)+", before_terms):
                spans = [(m.start() + run.start(), m.group()) for m in re.finditer(r"[a-z]+", run.group())]
                run_words = [w if w not in self.g["stop_en"] else "" for _, w in spans]
                free = [after_terms[at:at + len(w)] == w for at, w in spans]
                for first, last, chinese in self.lexicon.compounds(run_words, self.corpus_folded):
                    compound = tuple(c for c in chinese if c not in self.department_words)
                    if not compound or not any(free[first:last + 1]):
                        continue
                    if compound not in seen:
                        seen[compound] = len(pieces)
                        pieces.append((list(compound), set()))
                    words += [(w, seen[compound]) for w in run_words[first:last + 1]]
            covered = {w for w, _ in words}  # a compound is the more specific reading of its words
            for w in (w for w in latin if w not in covered):
                # words in every unit's name describe the whole department ("the ecology bureau")
                found = [fold(c) for c in self.lexicon.get(english_key(w), [])]
                chinese = tuple(c for c in found if c not in self.department_words)
                if found and not chinese:
                    words.append((w, -1))  # known: it names the department, not a row
                if chinese:  # "law" and "enforcement" both give 执法: one piece, counted once
                    if chinese not in seen:
                        seen[chinese] = len(pieces)
                        pieces.append((list(chinese), set()))
                    words.append((w, seen[chinese]))
        query, groups, spans = base, [], []
        for alternatives, origin in pieces:
            start = len(query) + 1
            alt_spans = []
            for alt in alternatives:
                alt_spans.append(range(len(query) + 1, len(query) + 1 + len(alt)))
                query += "|" + alt
            groups.append(set(range(start, len(query))) | origin)
            spans.append(alt_spans)
        positions: dict[str, set[int]] = {}
        for w, k in words:
            positions.setdefault(w, set()).update(groups[k] if k >= 0 else set())
        return query, groups, spans, positions

    def _abbreviations(self, base: str) -> list[tuple[int, list[str]]]:
        """Two characters of the question that the table does not hold together, but as the first
        characters of two words in a row (地灾 -> 地质灾害): Chinese short forms (简称)."""
        out = []
        for at in range(len(base) - 1):
            pair = base[at:at + 2]
            if not re.fullmatch(r"[一-鿿]{2}", pair) or pair in self.corpus_folded:
                continue
            found = sorted(set(re.findall(rf"{pair[0]}[一-鿿]{pair[1]}[一-鿿]", self.corpus_folded)))
            if 0 < len(found) <= 3:
                out.append((at, found))
        return out

    @staticmethod
    def _in_order(short: str, name: str) -> bool:
        """Whether the characters of ``short`` stand in ``name`` in order (应急局 in 合肥市应急管理局)."""
        it = iter(name)
        return all(ch in it for ch in short)

    def _glued(self, text: str, word: str) -> bool:
        """Whether a Chinese ``word`` in ``text`` stands inside a table word there (规划编制, not 人员编制)."""
        at = text.find(word)
        if at < 0 or not re.search(r"[一-鿿]", word):
            return False
        around = (fold(text[max(0, at - 2):at + len(word)]), fold(text[at:at + len(word) + 2]))
        return any(len(w) > len(word) and w in self.corpus_folded for w in around)

    def _unless_in_a_name(self, m: re.Match[str]) -> str:
        """A stop word is dropped, unless it stands in a name as written here (服务中心, 在训运动员);
        的 and 了 always go ("广州的国际影响力" is 广州国际影响力)."""
        if m.group() in ("的", "了"):
            return "|"
        before, after = fold(m.string[max(0, m.start() - 1):m.end()]), fold(m.string[m.start():m.end() + 1])
        glued = any(len(w) > len(m.group()) and (w in self.corpus_folded or w in self._synonym_words)  # 局里
                    for w in (before, after))
        return m.group() if glued else "|"

    def _names(self, t: Text, lang: str, comparing: bool = False, unit_first: bool = False,
               indicator_asked: bool = False, budget_first: bool = False) -> tuple[dict[str, Any], set[str], int]:
        """The names matched, the English words whose dictionary translations took part, and how
        many translated pieces (glossary terms, dictionary words) took part. ``comparing``: the
        question sets projects against each other, so indicators are not matched. ``unit_first``: the
        question asks for a unit's projects, so a unit named nearly as well as a project is meant."""
        query, groups, spans, words = self._query(t, lang)
        kinds = [self.units, self.projects] if comparing else [self.units, self.projects, self.indicators]
        matches = resolve(query, kinds, groups=groups, alternatives=spans)
        if budget_first and "indicator" in matches and "project" not in matches and "unit" not in matches:
            project = self.projects.best(query, 2, spans)
            if project and project.score >= matches["indicator"].score - 2:
                matches = {"project": project}  # "how much goes to cruise tourism": 邮轮旅游发展专项资金, not 邮轮旅游客源市场
        if unit_first and "project" in matches:
            unit = self.units.best(query, 3, spans)
            if unit and unit.score >= matches["project"].score - 1:
                matches = {"unit": unit}  # "the special equipment inspection people": 特种设备检测研究院, not its 检验 project
        if indicator_asked and "project" in matches and "indicator" in matches and matches["project"].score <= 2 \
                and set(matches["project"].segments) <= set(matches["indicator"].segments):
            del matches["project"]  # "zero safety accidents": 安全 describes the target, not 港口安全监管专项经费
        if indicator_asked and "project" in matches and "indicator" not in matches and "unit" not in matches:
            # "which projects have targets for wage arrears": the words name indicators (欠薪案件动态清零率)
            # as well as a project; the indicators answer, and the project's own ones are among them
            indicator = self.indicators.best(query, 2, spans)
            if indicator and indicator.score >= matches["project"].score:
                matches = {"indicator": indicator}
        self._pair_project_and_indicator(matches, query, groups, spans)
        if "unit" in matches and "project" in matches:
            unit_names = "|".join(fold(u) for u in matches["unit"].names)
            # one weak word is dropped, unless it singles out a project of that very unit ("the welfare
            # institute's operations" -> its 机构运行保障经费)
            own = {p.name for p in self.corpus.projects() if p.unit in matches["unit"].names}
            singles_out = (set(matches["project"].names) & own
                           and not any(seg in unit_names for seg in matches["project"].segments))
            weak = matches["project"].score <= 2 < matches["unit"].score and not singles_out
            if weak or all(seg in unit_names for seg in matches["project"].segments):
                del matches["project"]  # words of the unit's name (or one weak word) that projects share too
        if "unit" in matches and "indicator" in matches and all(
                seg in "|".join(fold(u) for u in matches["unit"].names) for seg in matches["indicator"].segments):
            del matches["indicator"]  # "the law enforcement detachment (…执法支队)": 执法 names the unit here
        if "unit" in matches and words:
            # "the agricultural technology extension station": a project or indicator found only
            # through English words that name the unit (农业 + 新技术) is not asked about
            def english(m: Any) -> set[str]:
                return {w for w, positions in words.items() if positions & m.positions}
            unit_words = english(matches["unit"])
            for kind in ("project", "indicator"):
                if kind in matches and english(matches[kind]) and english(matches[kind]) <= unit_words:
                    del matches[kind]
        if "project" in matches and "indicator" in matches and words:
            # "the city's drainage pipes": 排水管 names the project; the indicator 排水管网检测长度 shares the words only
            ind = {w for w, positions in words.items() if positions & matches["indicator"].positions}
            proj = {w for w, positions in words.items() if positions & matches["project"].positions}
            if ind and ind <= proj:
                del matches["indicator"]
        joined = re.search(r"和|与|及|、|还有|或|比|\band\b|\bor\b|\bplus\b|\bthan\b|\bversus\b|\bvs\b", t.text)
        if joined and "project" in matches and "indicator" in matches:
            # "rural drinking water or the city's drainage pipes": the words the indicator took may
            # name a second project as well; two projects read the question better than one and its indicator
            other = self.projects.best(mask(query, claimed_by(matches["project"], groups)), 2, spans)
            if (other and not set(other.names) & set(matches["project"].names) and other.score > matches["indicator"].score
                    and other.positions & matches["indicator"].positions):
                del matches["indicator"]
        if "unit" in matches and joined:  # "局里和指挥中心": two units
            self._more_of("unit", matches, query, groups, spans, t.text)
        if "project" in matches and not (comparing and len(matches["project"].names) >= 2) and (comparing or joined):
            self._more_of("project", matches, query, groups, spans)
        if "project" in matches and "indicator" not in matches:
            # "how many bridges does the bridge inspection project plan": the project's own
            # indicator may share the words that named the project (检测桥梁数量)
            own = {indicator_key(i) for p, i in self.corpus.indicators() if p.name in matches["project"].names}
            hint = self.indicators.best(query, 2, spans, only=own)
            if hint:
                matches["own_indicator"] = hint
        used = set().union(*(m.positions for m in matches.values())) if matches else set()
        pieces_used = sum(1 for g in groups if g & used)
        return matches, {w for w, positions in words.items() if positions & used or not positions}, pieces_used

    def _unknown_words(self, t: Text, lang: str, matches: dict[str, Any]) -> list[str]:
        """Content words that neither the glossary, the cues nor a table name account for."""
        rest = t.rest()
        if lang == "en":
            words = re.findall(r"[a-z][a-z0-9&'-]*|\d+", rest)
            # the table's own city ("the Nanjing ... institute") names no row, and is no unknown word either
            return [w for w in words if w not in self._stop_en_here and not w.isdigit() and len(w) > 2]
        stop = sorted(self.g["stop_zh"] + self.g["generic"], key=len, reverse=True)
        rest = re.sub("|".join(re.escape(s) for s in stop), " ", rest)
        used = set()
        for m in matches.values():
            used |= set("".join(m.segments))
        chunks = ("".join(ch for ch in c if ch not in used) for c in re.findall(r"[一-鿿]{2,}", rest))
        return [c for c in chunks if len(c) >= 2]

    def _unanchored(self, plan: Plan) -> bool:
        """True when nothing in the plan ties the question to rows of the table."""
        return not (plan.named() or plan.filtered() or plan.follow_up or plan.exclude_units or plan.exclude_projects
                    or plan.claim is not None)

    def _more_of(self, kind: str, matches: dict[str, Any], query: str, groups: list[set[int]],
                 spans: list[list[range]], text: str = "") -> None:
        """"外宣项目和多语种平台项目", "局里和指挥中心": after the best name of ``kind``, the rest of the
        question may name another (a second unit by one weak word only right beside the 和)."""
        claimed = set().union(*(claimed_by(m, groups) for m in matches.values()))
        index = self.projects if kind == "project" else self.units
        more = index.best(mask(query, claimed), 2, spans)
        if more and kind == "unit" and more.score < 3:
            beside = "|".join(re.escape(seg) for seg in more.segments)
            if not re.search(rf"(?:和|与|及|、)(?:{beside})|(?:{beside})[一-鿿]{{0,3}}(?:和|与|及|、)", fold(text)):
                more = None
        if more:
            first = matches[kind]
            first.names += [n for n in more.names if n not in first.names]
            first.positions |= more.positions
            first.segments += more.segments

    def _pair_project_and_indicator(self, matches: dict[str, Any], query: str, groups: list[set[int]],
                                    spans: list[list[range]]) -> None:
        """A project and an indicator matched in one question should meet. When no matched indicator
        belongs to a matched project, take the better of: the project with its own best indicator, or
        the indicator with the best project holding it; failing both, drop the weaker match."""
        if "project" not in matches or "indicator" not in matches:
            return
        project, indicator = matches["project"], matches["indicator"]
        owners = {indicator_key(i): set() for _, i in self.corpus.indicators()}
        for p, i in self.corpus.indicators():
            owners[indicator_key(i)].add(p.name)
        if any(owners[k] & set(project.names) for k in indicator.names):
            return
        own = {indicator_key(i) for p, i in self.corpus.indicators() if p.name in project.names}
        a = self.indicators.best(mask(query, claimed_by(project, groups)), 2, spans, only=own)
        holders = set().union(*(owners[k] for k in indicator.names))
        b = self.projects.best(mask(query, claimed_by(indicator, groups)), 1, spans, only=holders)
        score_a = project.score + (a.score if a else 0)
        score_b = indicator.score + (b.score if b else 0)
        if a and score_a >= score_b:
            matches["indicator"] = a
        elif b and score_b > score_a:
            matches["project"] = b
        else:
            del matches["indicator" if indicator.score <= project.score else "project"]

    def _exclusions(self, t: Text, lang: str) -> dict[str, list[str]]:
        """Names after "excluding" / "除了…以外": resolved like any name, then taken out of the rows."""
        out: dict[str, list[str]] = {}
        for key, pattern in self.g["exclusion"].items():
            for m in t.find(pattern):
                sub = Text(m.group(1))
                if sub.has(self.g["cues"]["withheld"]):  # "leaving out the withheld ones"
                    out["disclosed"] = ["yes"]
                for kind, match in self._names(sub, "zh" if key == "zh" else detect_language(m.group(1)))[0].items():
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
        (_, s1, m1), (_, s2, _) = hits[0], hits[1]
        if s1 >= 0.78 and s1 - s2 >= 0.02:
            plan.status, plan.suggestion = "needs_clarification", m1["project"]
            plan.reason = " ".join(plan.unknown)
