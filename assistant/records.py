"""Typed records of a 项目支出绩效目标表: Document -> Department -> Unit -> Project -> Indicator.

Money is ``Decimal`` in 万元. Every record keeps where it came from (:class:`Source`). The records
round-trip through JSON (``to_dict`` / ``from_dict``) so that answering never re-parses a source.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Iterator

ZERO = Decimal("0.00")



# Bumped whenever parsing gives other records for the same table (a unit of measure read differently);
# a store built by another version is rebuilt (the bundled sample) or reported (`assistant validate`).
RECORDS_VERSION = 2

@dataclass(frozen=True)
class Source:
    """Where a row stands: the document (file name) and its line, or sheet + row for XLSX."""

    document: str
    line: int
    sheet: str | None = None

    def label(self) -> str:
        """Human-readable location, e.g. ``sample.md:19`` or ``book.xlsx!Sheet1:12``."""
        where = f"{self.document}!{self.sheet}" if self.sheet else self.document
        return f"{where}:{self.line}"


@dataclass
class Indicator:
    """One numbered performance indicator (绩效指标) of a project."""

    number: str  # as written, e.g. "1"
    category: str | None  # 产出 / 效益 / 质量 / 满意度 / 经济效益 ... or None
    name: str  # e.g. 广州外事英文网运营天数
    target: str  # as written, e.g. 60万次以上
    comparator: str | None  # one of = ≥ > ≤ <, None when not quantified
    value: Decimal | None  # numeric target, multipliers applied (2.7万人 -> 27000)
    unit: str | None  # unit of measure, e.g. 天, %, 人次
    quantified: bool
    text: str  # the indicator as written, without its number

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (Decimal as string)."""
        d = asdict(self)
        d["value"] = None if self.value is None else str(self.value)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Indicator":
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["value"] = None if d.get("value") is None else Decimal(d["value"])
        return cls(**d)


@dataclass
class Project:
    """One project row: funding in 万元, the goal text and its indicators."""

    id: str  # stable within a store: "<document>#<line>"
    name: str
    unit: str
    department: str
    total: Decimal
    fiscal: Decimal  # 财政拨款
    special: Decimal  # 财政专户拨款
    other: Decimal  # 其他资金
    goal: str
    withheld: bool  # 项目不宜公开
    indicators: list[Indicator]
    source: Source
    indicators_raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (Decimal as string)."""
        return {
            "id": self.id, "name": self.name, "unit": self.unit, "department": self.department,
            "total": str(self.total), "fiscal": str(self.fiscal), "special": str(self.special),
            "other": str(self.other), "goal": self.goal, "withheld": self.withheld,
            "indicators": [i.to_dict() for i in self.indicators],
            "source": asdict(self.source), "indicators_raw": self.indicators_raw,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Project":
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        for k in ("total", "fiscal", "special", "other"):
            d[k] = Decimal(d[k])
        d["indicators"] = [Indicator.from_dict(i) for i in d["indicators"]]
        d["source"] = Source(**d["source"])
        return cls(**d)


@dataclass
class Unit:
    """A budget unit (资金使用单位) with its subtotal row; the first one is the department's own."""

    name: str
    amount: Decimal | None
    source: Source | None
    projects: list[Project] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "name": self.name, "amount": None if self.amount is None else str(self.amount),
            "source": None if self.source is None else asdict(self.source),
            "projects": [p.to_dict() for p in self.projects],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Unit":
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=d["name"], amount=None if d["amount"] is None else Decimal(d["amount"]),
            source=None if d["source"] is None else Source(**d["source"]),
            projects=[Project.from_dict(p) for p in d["projects"]],
        )


@dataclass
class Department:
    """One parsed document: a department's table with its 合计 row and units."""

    name: str
    document: str  # file name
    year: int | None
    total: Decimal | None  # the 合计 row, when present
    total_source: Source | None
    units: list[Unit]

    def projects(self) -> Iterator[Project]:
        """All project rows in document order."""
        for unit in self.units:
            yield from unit.projects

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "name": self.name, "document": self.document, "year": self.year,
            "total": None if self.total is None else str(self.total),
            "total_source": None if self.total_source is None else asdict(self.total_source),
            "units": [u.to_dict() for u in self.units],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Department":
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=d["name"], document=d["document"], year=d.get("year"),
            total=None if d["total"] is None else Decimal(d["total"]),
            total_source=None if d["total_source"] is None else Source(**d["total_source"]),
            units=[Unit.from_dict(u) for u in d["units"]],
        )


@dataclass
class Corpus:
    """Every department in a store; the unit the engine answers over."""

    departments: list[Department]

    def projects(self) -> list[Project]:
        """All project rows of all documents."""
        return [p for d in self.departments for p in d.projects()]

    def units(self) -> list[tuple[Department, Unit]]:
        """All units with their department."""
        return [(d, u) for d in self.departments for u in d.units]

    def indicators(self) -> list[tuple[Project, Indicator]]:
        """All indicators with their project."""
        return [(p, i) for p in self.projects() for i in p.indicators]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"departments": [d.to_dict() for d in self.departments]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Corpus":
        """Inverse of :meth:`to_dict`."""
        return cls([Department.from_dict(x) for x in d["departments"]])
