"""Turn a computed :class:`~assistant.execution.Result` into an :class:`Answer`: reviewer-friendly
text in the question's language with [n] citations, and the ``--json`` contract.

Every number in the text comes from the result's figures or rows; the optional LLM phrasing is
checked against them (see :mod:`assistant.llm`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
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


def _criteria(result: "Result", zh: bool) -> str:
    """What the rows were chosen by, in words."""
    plan = result.plan
    parts: list[str] = []
    if plan.units:
        parts.append(("单位：" if zh else "unit: ") + "、".join(plan.units))
    if plan.terms and (plan.indicator_texts or plan.projects):
        parts.append(("匹配：" if zh else "matching ") + "、".join(dict.fromkeys(plan.terms)))
    if plan.indicator_condition:
        parts.append(("指标值 " if zh else "target ") + plan.indicator_condition.describe("zh" if zh else "en"))
    if plan.amount_condition:
        bounds = [c.describe("zh" if zh else "en") for c in (plan.amount_condition, plan.amount_bound) if c]
        parts.append(("预算 " if zh else "budget ") + (" 且 " if zh else " and ").join(bounds))
    if plan.withheld:
        parts.append("项目不宜公开" if zh else "withheld, 项目不宜公开")
    if plan.quantified is False:
        parts.append("含未量化指标" if zh else "with an indicator that is not quantified")
    if plan.target_texts:
        parts.append(("指标值为 " if zh else "target reads ") + "、".join(plan.target_texts))
    if plan.categories:
        parts.append(("指标类别：" if zh else "indicator category: ") + "、".join(f"{c}指标" for c in plan.categories))
    if plan.measure:
        parts.append(f"指标以{plan.measure}计" if zh else f"target counted in {plan.measure}")
    if plan.indicator_count:
        parts.append(("指标条数 " if zh else "number of indicators ") + plan.indicator_count.describe("zh" if zh else "en"))
    if plan.unit_proper:
        parts.append("单位本级" if zh else "the unit itself")
    if plan.follow_up:
        parts.append("上一个回答中的项目" if zh else "the projects of the previous answer")
    return "；".join(parts) if zh else "; ".join(parts)


def _row_line(k: int, row: CitedRow, zh: bool, show_matched: bool) -> str:
    p = row.project
    withheld = ("（不宜公开）" if zh else " (withheld)") if p.withheld else ""
    line = f"[{k}] {p.name}（{p.unit}）— {p.total} 万元{withheld}" if zh else f"[{k}] {p.name} ({p.unit}) — {p.total} 万元{withheld}"
    if show_matched and row.matched:
        shown = row.matched if len(row.matched) <= 8 else row.matched[:8] + ["…"]
        line += ("；" + "；".join(shown)) if zh else ("; " + "; ".join(shown))
    return line


def _not_found_text(result: "Result", zh: bool) -> str:
    plan, corpus = result.plan, result.corpus
    depts = "、".join(d.name for d in corpus.departments) if corpus else ""
    years = sorted({d.year for d in corpus.departments if d.year}) if corpus else []
    year_txt = "/".join(str(y) for y in years)
    if plan.year and plan.year not in years:
        what_zh, what_en = f"{plan.year}年的数据（本表为{year_txt}年）", f"figures for {plan.year} (the table covers {year_txt})"
    elif plan.reason:
        what_zh, what_en = f"“{plan.reason}”", f"“{plan.reason}”"
    else:
        what_zh, what_en = "这个问题所需的数据", "what this question needs"
    if zh:
        return (f"表中没有{what_zh}，无法回答，也不作推测。本表只包含{depts}{year_txt}年项目支出绩效目标："
                "各项目的预算（万元：总计、财政拨款、财政专户拨款、其他资金）、所属单位、绩效目标和绩效指标。")
    return (f"The table does not hold {what_en}, so I cannot answer that and will not guess. It holds the {year_txt} "
            f"project performance targets of {depts}: each project's budget in 万元 (10,000 yuan; total, fiscal "
            "appropriation, special-account funds, other funds), its unit, its goal and its performance indicators.")


def _scope_all(result: "Result") -> bool:
    """True when the rows are simply every project (no criteria): the text then gives totals only."""
    plan = result.plan
    return not _criteria(result, True) and not plan.projects and len(result.rows) == result.universe and result.universe > 1


def _lookup_lines(result: "Result", zh: bool) -> list[str] | None:
    """Direct sentences for a named project's budget or a named indicator's target."""
    plan = result.plan
    if plan.compute not in (["list"], ["sum"]) or plan.indicator_condition or plan.amount_condition or plan.units:
        return None
    if plan.indicator_texts and 0 < len(result.rows) <= 3 and plan.asks != "budget":
        out = []
        for k, r in enumerate(result.rows, 1):
            p = r.project
            for ind in (i for i in p.indicators if i.text in r.matched):
                out.append(f"{p.name}（{p.unit}）的“{ind.name}”年度指标值为 {ind.target} [{k}]。" if zh
                           else f"{p.name} ({p.unit}) targets {ind.name}: {ind.target} [{k}].")
        return out
    if (plan.projects and not plan.indicator_texts) or (plan.indicator_texts and plan.asks == "budget"):
        return [f"{r.project.name}（{r.project.unit}）预算总计 {r.project.total} 万元 [{k}]。" if zh
                else f"{r.project.name} ({r.project.unit}) is budgeted at {r.project.total} 万元 [{k}]." for k, r in enumerate(result.rows, 1)]
    return None


def _reconcile_lines(result: "Result", zh: bool) -> list[str]:
    checks = result.facts.get("checks", [])
    bad = [c for c in checks if c[1] != c[2]]
    out = [("是的，各单位小计之和等于部门合计，各单位的项目也与其小计一致。" if not bad else f"不一致：有 {len(bad)} 处对不上。") if zh
           else ("Yes — the unit subtotals add up to the department total, and each unit's projects add up to its subtotal." if not bad
                 else f"No — {len(bad)} check(s) do not add up.")]
    for name, stated, computed in checks:
        ok = stated == computed
        if name == "合计":
            name = "合计行（部门合计）" if zh else "合计 row (department total)"
        out.append(f"{'✓' if ok else '✗'} {name}：表中 {stated} 万元 {'=' if ok else '≠'} 分项之和 {computed} 万元" if zh
                   else f"{'✓' if ok else '✗'} {name}: stated {stated} 万元 {'=' if ok else '≠'} sum of its parts {computed} 万元")
    return out


def _headline(result: "Result", zh: bool, lookup: list[str] | None) -> list[str]:
    """The sentences that state what was found and computed."""
    plan, figs = result.plan, {f.label: f for f in result.figures}
    n, m = len(result.rows), result.universe
    compute = set(plan.compute)
    criteria = _criteria(result, zh)
    if "reconcile" in compute:
        return _reconcile_lines(result, zh)
    verdict = result.facts.get("verdict")
    if verdict is not None and plan.indicator_condition is not None:  # a yes/no question
        cond = plan.indicator_condition.describe("zh" if zh else "en")
        return [f"{'是' if verdict else '不是'}：目标{'符合' if verdict else '不符合'} {cond}（依据下列指标）：" if zh
                else f"{'Yes' if verdict else 'No'}: the target {'meets' if verdict else 'does not meet'} {cond} (the indicator below):"]
    out: list[str] = []
    if "count" in compute:
        f = figs.get("指标数") or figs.get("项目数")
        if plan.subject == "indicators":
            out.append((f"符合条件（{criteria}）的绩效指标共 {f.value} 个，分布在 {n} 个项目中。" if criteria else f"共有 {f.value} 个绩效指标，分布在 {n} 个项目中。") if zh
                       else (f"{f.value} performance indicators match ({criteria}), in {n} projects." if criteria else f"There are {f.value} performance indicators in {n} projects."))
        else:
            out.append((f"{m} 个项目中有 {n} 个符合（{criteria}）。" if criteria else f"共有 {n} 个项目。") if zh
                       else (f"{n} of {m} projects match ({criteria})." if criteria else f"There are {n} projects."))
        if not criteria and plan.subject == "projects" and result.corpus:
            per_unit = [f"{u.name} {len(u.projects)}" for _, u in result.corpus.units() if u.projects]
            if len(per_unit) > 1:
                out.append(("按单位：" if zh else "By unit: ") + ("，".join(per_unit) if zh else ", ".join(per_unit)) + ("。" if zh else "."))
    if "numbering" in compute:
        from .validation import numbering_anomaly

        out.append(f"{n} 个项目的绩效指标编号有问题：" if zh else f"{n} project(s) have indicator numbering problems:")
        out += [f"  {r.project.name}（{r.project.unit}）：{numbering_anomaly(r.project)}" for r in result.rows]
    if plan.funding:
        for f in result.figures:
            if f.label in ("财政拨款", "财政专户拨款", "其他资金") or " + " in f.label:
                out.append(f"{f.label}：{f.value} 万元（{f.expression}）" if zh else f"{f.label}: {f.value} 万元 ({f.expression})")
    if "top" in compute and result.rows:
        word = ("最高" if plan.order == "desc" else "最低") if zh else ("largest" if plan.order == "desc" else "smallest")
        out.append(f"预算{word}的 {n} 个项目：" if zh else (f"The {word} project by budget:" if n == 1 else f"The {n} {word} projects by budget:"))
    elif not compute & {"count", "numbering"} and not plan.funding and "indicators" not in compute and result.rows:
        if lookup:
            out += lookup
        elif criteria:
            out.append(f"{m} 个项目中有 {n} 个符合（{criteria}）：" if zh else f"{n} of {m} projects match ({criteria}):")
    if "indicators" in compute:
        out.append("绩效指标如下：" if zh else "Its performance indicators:")
    return out


def _totals(result: "Result", zh: bool, lookup: list[str] | None) -> list[str]:
    figs = {f.label: f for f in result.figures}
    n = len(result.rows)
    everything = _scope_all(result)
    out = []
    if "差额" in figs and n == 2:
        big, small = sorted((r.project for r in result.rows), key=lambda p: p.total, reverse=True)
        f = figs["差额"]
        out.append(f"{big.name}（{big.unit}，{big.total} 万元）比{small.name}（{small.unit}，{small.total} 万元）多 {f.value} 万元（{f.expression}）。" if zh
                   else f"{big.name} ({big.unit}, {big.total} 万元) gets {f.value} 万元 more than {small.name} ({small.unit}, {small.total} 万元) ({f.expression}).")
    if "平均指标数" in figs:
        f = figs["平均指标数"]
        out.append(f"{n} 个项目平均每个有 {f.value} 个绩效指标（{f.expression}）。" if zh else f"On average {f.value} indicators per project ({f.expression}).")
    if "平均" in figs:
        f = figs["平均"]
        out.append(f"{n} 个项目的平均预算为 {f.value} 万元（{f.expression}）。" if zh else f"Average budget over {n} projects: {f.value} 万元 ({f.expression}).")
    if "合计" in figs:
        f = figs["合计"]
        if everything:
            stated = [d.total for d in result.corpus.departments if d.total is not None] if result.corpus else []
            note_zh = f"；与表中合计行 {stated[0]} 万元{'一致' if stated[0] == Decimal(f.value) else '不一致'}" if len(stated) == 1 else ""
            note_en = f"; the table's 合计 row says {stated[0]} 万元" if len(stated) == 1 else ""
            out.append(f"全部 {n} 个项目支出合计 {f.value} 万元（{n} 个项目之和{note_zh}）。" if zh
                       else f"All {n} projects together: {f.value} 万元 (sum of {n} project totals{note_en}).")
        elif n == 1:
            if not lookup:
                out.append(f"预算 {f.value} 万元。" if zh else f"Budget: {f.value} 万元.")
        else:
            out.append(f"合计 {f.value} 万元（{f.expression}）。" if zh else f"Combined: {f.value} 万元 ({f.expression}).")
    claim = result.plan.claim
    if claim is not None and "合计" in figs:
        total = Decimal(figs["合计"].value)
        same = total == claim
        out.insert(0, (f"{'是' if same else '不是'}：合计为 {figs['合计'].value} 万元" + ("。" if same else f"，不是 {claim} 万元。")) if zh
                   else (f"{'Yes' if same else 'No'}: the total is {figs['合计'].value} 万元" + ("." if same else f", not {claim} 万元.")))
    if "总计" in figs and not lookup:
        f = figs["总计"]
        out.append(f"预算总计 {f.value} 万元。" if zh else f"Budget: {f.value} 万元.")
    unit_share = figs.get(f"占{result.plan.share_base()}合计比例") if result.plan.share_of else None
    if unit_share:
        unit, f = result.plan.share_base(), unit_share
        out.append(f"占{unit}项目合计的 {f.value}%（{f.expression}）。" if zh else f"Share of {unit}'s total: {f.value}% ({f.expression}).")
    if "占部门合计比例" in figs:
        f = figs["占部门合计比例"]
        out.append(f"占部门项目支出合计的 {f.value}%（{f.expression}）。" if zh
                   else f"Share of the department total: {f.value}% ({f.expression}).")
    return out


def render(result: "Result", planner: "Planner | None" = None) -> Answer:
    """The answer for a computed result, in the question's language (optionally phrased by the LLM)."""
    plan = result.plan
    zh = plan.language == "zh"
    notice = plan.notice
    if result.status != "answered":
        if result.status == "not_found":
            text = _not_found_text(result, zh)
        elif plan.reason == "follow_up":
            text = ("这个问题指的是上一个回答中的项目，但此前没有问过问题。请先问一个列出项目的问题，例如：哪些项目的年度指标值是365天？" if zh
                    else "This question refers to the projects of an earlier answer, but nothing was asked before. "
                         "Ask for the projects first, e.g. Which projects target 365 service days?")
        elif plan.suggestion:
            text = (f"表中没有找到“{plan.reason}”。您是指“{plan.suggestion}”吗？请用项目名称再问一次。" if zh
                    else f"I could not find “{plan.reason}” in the table. Did you mean “{plan.suggestion}”? Ask again with that name.")
        else:
            text = ("请说得具体一些，例如：哪些项目的年度指标值是365天？" if zh
                    else "Could you be more specific? For example: Which projects target 365 service days?")
        return Answer(result.status, text, [], [], plan.language, plan.explain(), notice)
    lookup = _lookup_lines(result, zh)  # a named project's budget or a named indicator's target, said directly
    lines = _headline(result, zh, lookup)
    if not result.rows and not set(plan.compute) & {"reconcile", "funding"}:
        lines.append("没有符合条件的项目。" if zh else "No project matches.")
    show_matched = bool(plan.indicator_texts or plan.indicator_condition or plan.quantified is not None
                        or set(plan.compute) & {"indicators", "numbering", "funding"})
    cite = result.rows if len(result.rows) <= 20 or show_matched else result.rows[:10]
    note = None
    if _scope_all(result) and (not show_matched or "funding" in plan.compute):
        cite = []
        note = f"（引用全部 {len(result.rows)} 行，见下表）" if zh else f"(all {len(result.rows)} rows are cited in the table)"
    if "reconcile" not in plan.compute:
        lines += [_row_line(k, r, zh, show_matched) for k, r in enumerate(cite, 1)]
        if cite and len(cite) < len(result.rows):
            rest = len(result.rows) - len(cite)
            lines.append(f"……另有 {rest} 个项目（见下表）" if zh else f"… and {rest} more (see the table)")
    lines += _totals(result, zh, lookup)
    if note:
        lines.append(note)
    text = "\n".join(lines)
    answer = Answer("answered", text, result.rows, result.figures, plan.language, plan.explain(), notice)
    if planner is not None and planner.llm is not None and not plan.notice:
        answer = planner.llm.phrase(answer, result)
    return answer
