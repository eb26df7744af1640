"""Lexical matching of a question against names in the table: units, projects, indicators.

Chinese has no spaces, so a name is found in a question by its common substrings: the longest
common substring is taken, both sides masked, and again, until none of two characters is left.
A segment weighs its length less the generic words in it (项目, 经费, 广州 …), so "外事业务专项经费"
outweighs "发展中心涉外专项经费" for the question "外事业务专项经费的预算是多少？".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

_Q_MASK = "\x00"  # masked question characters never match
_N_MASK = "\x01"  # masked name characters never match


def fold(text: str) -> str:
    """The form in which text is compared: NFKC, lower-case Latin, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def longest_common(a: str, b: str) -> tuple[int, int, int]:
    """``(start in a, start in b, length)`` of the longest common substring (masks never match)."""
    best = (0, 0, 0)
    prev = [0] * (len(b) + 1)
    for i, ca in enumerate(a, 1):
        cur = [0] * (len(b) + 1)
        if ca != _Q_MASK:
            for j, cb in enumerate(b, 1):
                if ca == cb:
                    cur[j] = prev[j - 1] + 1
                    if cur[j] > best[2]:
                        best = (i - cur[j], j - cur[j], cur[j])
        prev = cur
    return best


def segments(question: str, name: str, min_len: int = 2) -> list[tuple[int, str]]:
    """Common segments of ``question`` and ``name``, longest first: ``(start in question, text)``."""
    q, n = list(question), list(name)
    out = []
    while True:
        i, j, k = longest_common("".join(q), "".join(n))
        if k < min_len:
            return out
        out.append((i, question[i:i + k]))
        q[i:i + k] = _Q_MASK * k
        n[j:j + k] = _N_MASK * k


@dataclass
class Match:
    """The best-matching names of one kind, their score, and the question positions they use."""

    kind: str
    names: list[str]
    score: int
    positions: set[int] = field(default_factory=set)
    segments: list[str] = field(default_factory=list)


class NameIndex:
    """Names of one kind (folded), with a bigram index so only plausible names are scored."""

    def __init__(self, kind: str, names: Iterable[str], generic: Iterable[str]) -> None:
        self.kind = kind
        self.names = sorted(set(names))
        self.folded = {n: fold(n) for n in self.names}
        self.generic = sorted({fold(g) for g in generic}, key=len, reverse=True)
        self._bigrams: dict[str, set[str]] = {}
        for name, f in self.folded.items():
            for k in range(len(f) - 1):
                self._bigrams.setdefault(f[k:k + 2], set()).add(name)

    def weight(self, segment: str) -> int:
        """Characters of ``segment`` left after removing generic words."""
        if segment.isascii() and len(segment) < 3:
            return 0  # "ec" of "projects" is not "APEC"
        rest = segment
        for g in self.generic:
            rest = rest.replace(g, "")
        return len(rest)

    def best(self, question: str, min_score: int = 2) -> Match | None:
        """All names tied at the highest score (at least ``min_score``), or None."""
        candidates = set()
        for k in range(len(question) - 1):
            candidates |= self._bigrams.get(question[k:k + 2], set())
        top: Match | None = None
        for name in sorted(candidates):
            segs = segments(question, self.folded[name])
            score = sum(self.weight(s) for _, s in segs)
            if score < min_score or (top and score < top.score):
                continue
            pos = {i + d for i, s in segs if self.weight(s) for d in range(len(s))}
            texts = [s for _, s in segs if self.weight(s)]
            if top is None or score > top.score:
                top = Match(self.kind, [name], score, pos, texts)
            else:
                top.names.append(name)
                top.positions |= pos
                top.segments += [t for t in texts if t not in top.segments]
        return top


def mask(question: str, positions: Iterable[int]) -> str:
    """``question`` with the characters at ``positions`` masked out."""
    chars = list(question)
    for p in positions:
        if 0 <= p < len(chars):
            chars[p] = _Q_MASK
    return "".join(chars)


def resolve(question: str, indexes: list[NameIndex], min_score: int = 2,
            groups: list[set[int]] | None = None) -> dict[str, Match]:
    """Assign parts of the question to kinds of names, best score first (earlier kinds win ties).

    Each kind is chosen at most once; a chosen match masks the characters it used, so the rest of
    the question is matched against the other kinds ("多语种服务平台的投诉率" -> a project, then an
    indicator). ``groups`` are sets of positions that stand or fall together (the alternatives a
    glossary term translates to, and the word they came from).
    """
    chosen: dict[str, Match] = {}
    q = question
    while True:
        best: Match | None = None
        for index in indexes:
            if index.kind in chosen:
                continue
            m = index.best(q, min_score)
            if m and (best is None or m.score > best.score):
                best = m
        if best is None:
            return chosen
        chosen[best.kind] = best
        claimed = set(best.positions)
        for group in groups or []:
            if group & best.positions:
                claimed |= group
        q = mask(q, claimed)
