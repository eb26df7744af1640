"""``assistant eval``: run gold questions (``questions.jsonl``) and score them.

A question passes when the status matches, the set of cited rows (project name + total) is exactly
the expected set (when the gold gives one), and every expected figure appears among the answer's
figures or in its text (``"20.0%"`` is a percentage; decimals set the tolerance).
"""
from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .conversation import Conversation
from .errors import InputError

_NUM = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def _dec(s: Any) -> Decimal | None:
    try:
        return Decimal(str(s).replace(",", "").replace("，", "").strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        return None


def numbers_in(out: dict[str, Any]) -> list[Decimal]:
    """Every number in an answer: its figures' values and the numbers in its text."""
    vals = [v for v in (_dec(f.get("value")) for f in out.get("figures") or []) if v is not None]
    vals += [v for v in (_dec(m.group()) for m in _NUM.finditer(unicodedata.normalize("NFKC", out.get("answer") or ""))) if v is not None]
    return vals


def has_figure(expected: str, vals: list[Decimal]) -> bool:
    """Whether ``expected`` is among ``vals`` within the tolerance its written form implies."""
    e = _dec(expected)
    if e is None:
        return False
    digits = expected.rstrip("%")
    tol = Decimal(1).scaleb(-len(digits.split(".")[1])) / 2 if "." in digits else Decimal("0.0001")
    if expected.endswith("%"):
        tol = max(tol, Decimal("0.05"))
    return any(abs(v - e) <= tol for v in vals)


def score(item: dict[str, Any], out: dict[str, Any]) -> list[str]:
    """Why an answer fails its gold item (empty list: it passes)."""
    why = []
    if out.get("status") != item["status"]:
        why.append(f"status {out.get('status')!r} != {item['status']!r}")
    if item.get("rows") is not None:
        got = {(_norm(r.get("project")), _dec(r.get("total"))) for r in out.get("rows") or []}
        want = {(_norm(p), _dec(t)) for p, t in item["rows"]}
        if got != want:
            why.append(f"rows: missing {[p for p, _ in want - got]} extra {[p for p, _ in got - want]}")
    vals = numbers_in(out)
    why += [f"figure {f} not found" for f in item.get("figures", []) if not has_figure(f, vals)]
    return why


def load_items(path: Path) -> list[dict[str, Any]]:
    """Gold items from a JSON-lines file."""
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable questions .jsonl ({err.__class__.__name__}); one JSON object per line") from None


def run_eval(assistant: Any, path: Path) -> dict[str, Any]:
    """Ask every gold question (multi-turn items as one conversation) and score the answers."""
    items = load_items(path)
    results = []
    for k, item in enumerate(items):
        convo = Conversation() if "turns" in item else None
        for turn in item.get("turns", [])[:-1]:
            assistant.ask(turn, conversation=convo)
        out = assistant.ask(item["question"], conversation=convo).to_json()
        why = score(item, out)
        results.append({"id": item.get("id", str(k + 1)), "question": item["question"], "passed": not why, "why": why})
    passed = sum(r["passed"] for r in results)
    return {"items": results, "passed": passed, "total": len(results),
            "score": 100.0 * passed / len(results) if results else 0.0}
