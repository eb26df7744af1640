"""Check parsed tables the way a reviewer would: do the totals reconcile, is the numbering sound?

Findings are warnings (the data is kept); a file that is not a table at all is an
:class:`~assistant.errors.InputError` raised by parsing, not a finding here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .records import Department, Project

ZERO = Decimal("0.00")


@dataclass
class Finding:
    """One check's outcome: ``ok``, ``warning`` or ``info``, a message, and where it applies."""

    level: str
    check: str
    message: str
    where: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return {"level": self.level, "check": self.check, "message": self.message, "where": self.where}


@dataclass
class Report:
    """The findings for one department, with its headline counts."""

    department: str
    document: str
    projects: int
    indicators: int
    units: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def warnings(self) -> list[Finding]:
        """Only the findings a reviewer should look at."""
        return [f for f in self.findings if f.level == "warning"]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "department": self.department, "document": self.document, "projects": self.projects,
            "indicators": self.indicators, "units": self.units,
            "findings": [f.to_dict() for f in self.findings],
        }


def numbering_anomaly(project: Project) -> str | None:
    """A description of what is wrong with a project's indicator numbering, or None if it runs 1..n."""
    numbers = [i.number for i in project.indicators]
    if not numbers or numbers == [str(k) for k in range(1, len(numbers) + 1)]:
        return None
    seen, dupes = set(), []
    for n in numbers:
        if n in seen and n not in dupes:
            dupes.append(n)
        seen.add(n)
    parts = [f"numbered {','.join(n or '?' for n in numbers)}"]
    if dupes:
        parts.append(f"repeats {','.join(dupes)}")
    return "; ".join(parts)


def validate(department: Department) -> Report:
    """Run every check on one parsed department."""
    projects = list(department.projects())
    report = Report(
        department=department.name, document=department.document, projects=len(projects),
        indicators=sum(len(p.indicators) for p in projects), units=len(department.units),
    )
    add = report.findings.append
    units_sum = sum((u.amount or ZERO for u in department.units), ZERO)
    projects_sum = sum((p.total for p in projects), ZERO)
    if department.total is not None:
        ok = department.total == units_sum if all(u.amount is not None for u in department.units) else department.total == projects_sum
        basis = "units" if all(u.amount is not None for u in department.units) else "projects"
        got = units_sum if basis == "units" else projects_sum
        add(Finding("ok" if ok else "warning", "total",
                    f"合计 {department.total} {'=' if ok else '≠'} sum of {basis} {got}",
                    department.total_source.label() if department.total_source else ""))
    else:
        add(Finding("info", "total", f"no 合计 row; projects sum to {projects_sum}"))
    for unit in department.units:
        if unit.amount is None:
            continue
        got = sum((p.total for p in unit.projects), ZERO)
        ok = got == unit.amount
        add(Finding("ok" if ok else "warning", "unit",
                    f"{unit.name} {unit.amount} {'=' if ok else '≠'} sum of its {len(unit.projects)} projects {got}",
                    unit.source.label() if unit.source else ""))
    for p in projects:
        parts = p.fiscal + p.special + p.other
        if parts != p.total:
            add(Finding("warning", "funding", f"{p.name}: 总计 {p.total} ≠ 财政拨款+财政专户拨款+其他资金 {parts}", p.source.label()))
        anomaly = numbering_anomaly(p)
        if anomaly:
            add(Finding("warning", "numbering", f"{p.name}: indicators {anomaly}", p.source.label()))
        if p.withheld:
            add(Finding("info", "withheld", f"{p.name}: 项目不宜公开 (withheld), {p.total} 万元", p.source.label()))
        elif not p.indicators:
            add(Finding("warning", "indicators", f"{p.name}: no indicators found", p.source.label()))
        for i in p.indicators:
            if i.category is None:
                add(Finding("info", "category", f"{p.name}: indicator {i.number} {i.name!r} has no category", p.source.label()))
            if not i.target:
                add(Finding("warning", "unparsed", f"{p.name}: indicator {i.number} {i.text!r} has no target value", p.source.label()))
    return report
