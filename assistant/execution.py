"""Execute a :class:`~assistant.planning.Plan` exactly: filters on the typed records, then Decimal
arithmetic over *all* matching rows (never a retriever's top-K), each figure with its expression."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from .answering import CitedRow, Figure
from .planning import Plan, indicator_key
from .records import Corpus, Indicator, Project
from .matching import fold
from .validation import numbering_anomaly

if TYPE_CHECKING:
    from .conversation import Conversation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FUNDING_LABEL = {"fiscal": "财政拨款", "special": "财政专户拨款", "other": "其他资金"}


def money(x: Decimal) -> str:
    """An amount in 万元 with two decimals."""
    return str(x.quantize(CENT, rounding=ROUND_HALF_UP))


def plain(x: Decimal) -> str:
    """A target value without needless zeros (27000, 1, 993.62)."""
    return format(x.normalize(), "f") if x == x.to_integral() else str(x)


@dataclass
class Result:
    """Rows and figures computed for a plan, plus the facts the answer text needs."""

    plan: Plan
    status: str
    rows: list[CitedRow] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    universe: int = 0  # projects considered (all, or the previous answer's rows)
    facts: dict[str, Any] = field(default_factory=dict)
    corpus: Corpus | None = None


def _same_rows(corpus: Corpus, previous: list[Project]) -> list[Project]:
    by_id = {p.id: p for p in corpus.projects()}
    return [by_id.get(p.id, p) for p in previous]


def _indicator_filter(plan: Plan):  # type: ignore[no-untyped-def]
    texts, targets = set(plan.indicator_texts), set(plan.target_texts)
    cond, quantified = plan.indicator_condition, plan.quantified

    def keep(ind: Indicator) -> bool:
        return ((not texts or indicator_key(ind) in texts)
                and (not targets or fold(ind.target) in targets)
                and (not plan.measure or counted_in(ind, plan.measure))
                and (not plan.categories or ind.category in plan.categories)
                and (not plan.uncategorized or ind.category is None)
                and (cond is None or cond.satisfied_by(ind))
                and (quantified is None or ind.quantified == quantified))
    return keep


def counted_in(ind: Indicator, measure: str) -> bool:
    """Whether a target is counted in ``measure`` (50万人次 is in 人次; 120人 is not)."""
    unit = ind.unit or ""
    return unit == measure or (unit.endswith(measure) and unit[:-len(measure)] in ("万", "亿", "千", "百", "个"))


def in_units(p: Project, units: list[str], proper: bool = False) -> bool:
    """Whether a project belongs to one of ``units`` (a department's name counts for all its
    units, unless ``proper``: the unit itself, 本级)."""
    return p.unit in units or (not proper and p.department in units)


def select(plan: Plan, corpus: Corpus, conversation: "Conversation | None" = None) -> tuple[list[CitedRow], int]:
    """The rows the plan names, with the indicator texts that matched; and how many were considered.
    A yes/no question (``check``) keeps the named project's indicators whatever their target, so the
    answer can show what decides it."""
    if plan.check:
        rows, universe = select(plan.model_copy(update={"check": False, "indicator_condition": None}), corpus, conversation)
        return rows, universe
    projects = corpus.projects()
    if plan.follow_up and conversation is not None and conversation.last_rows():
        projects = _same_rows(corpus, conversation.last_rows())
    universe = len(projects)
    if plan.units:
        projects = [p for p in projects if in_units(p, plan.units, plan.unit_proper)]
    if plan.projects:
        projects = [p for p in projects if p.name in plan.projects]
    if plan.exclude_units:
        projects = [p for p in projects if p.unit not in plan.exclude_units]
    if plan.exclude_projects:
        projects = [p for p in projects if p.name not in plan.exclude_projects]
    if plan.all_quantified:
        projects = [p for p in projects if p.indicators and all(i.quantified for i in p.indicators)]
    if plan.indicator_count is not None:
        projects = [p for p in projects if plan.indicator_count.holds(Decimal(len(p.indicators)))]
    if plan.withheld is not None:
        projects = [p for p in projects if p.withheld == plan.withheld]
    for bound in (plan.amount_condition, plan.amount_bound):
        if bound is not None:
            projects = [p for p in projects if bound.holds(p.total)]
    rows: list[CitedRow] = []
    by_indicator = bool(plan.indicator_texts or plan.indicator_condition or plan.quantified is not None or plan.uncategorized
                        or plan.target_texts or plan.measure or plan.categories)
    keep = _indicator_filter(plan)
    for p in projects:
        if "numbering" in plan.compute:
            anomaly = numbering_anomaly(p)
            if anomaly:
                rows.append(CitedRow(p, [f"{i.number}、{i.text}" for i in p.indicators]))
            continue
        if by_indicator:
            matched = [i for i in p.indicators if keep(i)]
            if matched:
                rows.append(CitedRow(p, [i.text for i in matched]))
        elif "indicators" in plan.compute:
            rows.append(CitedRow(p, [f"{i.number}、{i.text}" for i in p.indicators]))
        else:
            rows.append(CitedRow(p, []))
    if plan.order:
        rows = _ranked(rows, plan)
    if plan.funding and not by_indicator and not plan.projects and not plan.units:
        # the rows that hold such funds are the answer (none, when all are zero), with their amounts
        rows = [CitedRow(r.project, [f"{FUNDING_LABEL[k]} {money(getattr(r.project, k))}" for k in plan.funding])
                for r in rows if any(getattr(r.project, k) for k in plan.funding)]
    return rows, universe


def _ranked(rows: list[CitedRow], plan: Plan) -> list[CitedRow]:
    """Top or bottom N by budget (or by number of indicators); rows tied with the last one stay."""
    def key(r: CitedRow) -> Decimal:
        return Decimal(len(r.project.indicators)) if plan.order_by == "indicators" else r.project.total
    rows = sorted(rows, key=key, reverse=plan.order == "desc")
    end = plan.offset + (plan.limit or 1)
    if end > len(rows):
        return rows[plan.offset:]
    last = key(rows[end - 1])
    while end < len(rows) and key(rows[end]) == last:
        end += 1
    return rows[plan.offset:end]


def execute(plan: Plan, corpus: Corpus, conversation: "Conversation | None" = None) -> Result:
    """Compute the plan's rows and figures."""
    if plan.status != "answer":
        return Result(plan, "not_found" if plan.status == "not_found" else "needs_clarification", corpus=corpus)
    rows, universe = select(plan, corpus, conversation)
    if not rows and plan.unknown and plan.named() and not (plan.filtered() or plan.follow_up):
        # "the Terracotta Warriors museum renovation project": the museum and 修缮 are in the table,
        # but no row is both, and other words name nothing: the table does not hold the thing asked about
        plan = plan.model_copy(update={"status": "not_found", "reason": " ".join(plan.unknown)})
        return Result(plan, "not_found", corpus=corpus)
    result = Result(plan, "answered", rows, universe=universe, corpus=corpus)
    if plan.check and plan.indicator_condition is not None:
        cond = plan.indicator_condition
        result.facts["verdict"] = any(cond.satisfied_by(i) for r in rows for i in r.project.indicators if i.text in r.matched)
    totals = [r.project.total for r in rows]
    total = sum(totals, ZERO)
    add = result.figures.append
    compute = set(plan.compute)

    if "reconcile" in compute:
        _reconcile(result, corpus)
    if "count" in compute:
        if plan.subject == "indicators":
            n = sum(len(r.matched) if r.matched else len(r.project.indicators) for r in rows)
            add(Figure("指标数", str(n), "个", f"{n} indicators in {len(rows)} projects"))
        else:
            add(Figure("项目数", str(len(rows)), "个", f"{len(rows)} of {universe} projects"))
    if "funding" in compute or plan.funding:
        parts = []
        for key in plan.funding:
            s = sum((getattr(r.project, key) for r in rows), ZERO)
            parts.append(s)
            add(Figure(FUNDING_LABEL[key], money(s), "万元", f"Σ {FUNDING_LABEL[key]} over {len(rows)} projects"))
        if len(parts) > 1:
            add(Figure(" + ".join(FUNDING_LABEL[k] for k in plan.funding), money(sum(parts, ZERO)), "万元", " + ".join(money(x) for x in parts)))
    if "average" in compute and rows and plan.subject == "indicators":
        n = sum(len(r.project.indicators) for r in rows)
        avg = (Decimal(n) / len(rows)).quantize(CENT, rounding=ROUND_HALF_UP)
        add(Figure("平均指标数", money(avg), "个", f"{n} indicators ÷ {len(rows)} projects"))
    elif "average" in compute and rows:
        avg = (total / len(rows)).quantize(CENT, rounding=ROUND_HALF_UP)
        add(Figure("平均", money(avg), "万元", f"{money(total)} ÷ {len(rows)}"))
    if "compare" in compute and len(rows) == 2:
        big, small = sorted((r.project for r in rows), key=lambda p: p.total, reverse=True)
        add(Figure("差额", money(big.total - small.total), "万元", f"{money(big.total)} − {money(small.total)}"))
    wants_sum = not compute & {"reconcile", "compare"} and ("sum" in compute or "share" in compute or (len(rows) > 1 and not compute & {"count", "average"}))
    if wants_sum and rows and not (plan.funding and "sum" in compute and "share" not in compute):
        add(Figure("合计", money(total), "万元", " + ".join(money(t) for t in totals) if len(rows) > 1 else f"{rows[0].project.name} 总计"))
    elif len(rows) == 1 and not compute & {"count", "average", "reconcile", "funding"} and not plan.funding:
        p = rows[0].project
        add(Figure("总计", money(p.total), "万元", f"{p.name} 总计 ({p.source.label()})"))
    if "share" in compute and plan.funding and not (plan.projects or plan.units or plan.indicator_texts):
        base = sum((r.project.total for r in select(plan.model_copy(update={"funding": []}), corpus, conversation)[0]), ZERO)
        part = sum((getattr(r.project, k) for r in rows for k in plan.funding), ZERO)
        if base:
            pct = (part / base * 100).quantize(CENT, rounding=ROUND_HALF_UP)
            label = " + ".join(FUNDING_LABEL[k] for k in plan.funding)
            add(Figure(f"{label} 占比", str(pct), "%", f"{money(part)} ÷ {money(base)} × 100"))
    elif "share" in compute and rows:
        bases = []
        if plan.share_of:
            unit_total = sum((p.total for p in corpus.projects() if in_units(p, plan.share_of, plan.share_proper)), ZERO)
            bases.append((f"占{plan.share_base()}合计比例", unit_total))
        if not plan.share_of or plan.share_department:
            bases.append(("占部门合计比例", _department_total(corpus, rows)))
        for label, base in bases:
            if base:
                pct = (total / base * 100).quantize(CENT, rounding=ROUND_HALF_UP)
                add(Figure(label, str(pct), "%", f"{money(total)} ÷ {money(base)} × 100"))
    if plan.order_by == "indicators":
        for r in rows:
            n = len(r.project.indicators)
            add(Figure(f"{r.project.name} 指标数", str(n), "个", f"{n} indicators listed ({r.project.source.label()})"))
    if plan.indicator_texts and not compute & {"count"}:
        shown = [(r.project, i) for r in rows for i in r.project.indicators if i.text in r.matched and i.value is not None]
        for p, ind in shown[:8]:
            add(Figure(ind.name, plain(ind.value), ind.unit or "", f"年度指标值：{ind.target}（{p.name}）"))  # type: ignore[arg-type]
    return result


def _department_total(corpus: Corpus, rows: list[CitedRow]) -> Decimal:
    """The project total of the departments the rows belong to (the base of a share)."""
    names = {r.project.department for r in rows}
    return sum((p.total for p in corpus.projects() if p.department in names), ZERO)


def _reconcile(result: Result, corpus: Corpus) -> None:
    """合计 row vs the sum of unit subtotals, and each unit vs its projects."""
    add = result.figures.append
    checks = []
    for d in corpus.departments:
        unit_amounts = [u.amount for u in d.units if u.amount is not None]
        units_sum = sum(unit_amounts, ZERO)
        if d.total is not None:
            add(Figure(f"{d.name} 合计", money(d.total), "万元", f"合计 row ({d.total_source.label() if d.total_source else d.document})"))
        for u in d.units:
            if u.amount is not None:
                projects_sum = sum((p.total for p in u.projects), ZERO)
                add(Figure(f"{u.name} 小计", money(u.amount), "万元", f"unit row ({u.source.label() if u.source else d.document})"))
                add(Figure(f"{u.name} 项目合计", money(projects_sum), "万元", " + ".join(money(p.total) for p in u.projects)))
                checks.append((u.name, u.amount, projects_sum))
        if unit_amounts:
            add(Figure("单位小计之和", money(units_sum), "万元", " + ".join(money(x) for x in unit_amounts)))
            if d.total is not None:
                checks.append(("合计", d.total, units_sum))
    result.facts["checks"] = checks
