"""Lexical matching of a question against names in the table: units, projects, indicators.

Chinese has no spaces, so a name is found in a question by its common substrings: the longest
common substring is taken, both sides masked, and again, until none of two characters is left.
A segment weighs its length less the generic words in it (项目, 经费, 广州 …), so "外事业务专项经费"
outweighs "发展中心涉外专项经费" for the question "外事业务专项经费的预算是多少？".
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
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
                    if cur[j] >= best[2]:  # on a tie the later place in b wins: a name after its category
                        best = (i - cur[j], j - cur[j], cur[j])
        prev = cur
    return best


def segments(question: str, name: str, min_len: int = 2) -> list[tuple[int, str, int]]:
    """Common segments of ``question`` and ``name``, longest first: ``(start in question, text, start in name)``."""
    q, n = list(question), list(name)
    out = []
    while True:
        i, j, k = longest_common("".join(q), "".join(n))
        if k < min_len:
            return out
        out.append((i, question[i:i + k], j))
        q[i:i + k] = _Q_MASK * k
        n[j:j + k] = _N_MASK * k


@dataclass
class Match:
    """The best-matching names of one kind, their score, and the question positions they use."""

    kind: str
    names: list[str]
    score: float
    positions: set[int] = field(default_factory=set)
    segments: list[str] = field(default_factory=list)
    rank: float = 0.0


class NameIndex:
    """Names of one kind (folded), with a bigram index so only plausible names are scored."""

    def __init__(self, kind: str, names: Iterable[str], generic: Iterable[str], preferred_after: str | None = None,
                 shared_by_all: bool = False) -> None:
        """``preferred_after``: a segment matched after this mark (an indicator's name, after its
        category) weighs a little more, so 满意度 prefers 服务对象满意度 to the category 满意度指标.
        ``shared_by_all``: only words every name shares are generic (else: words most names share)."""
        self.kind = kind
        self.names = sorted(set(names))
        self.folded = {n: fold(n) for n in self.names}
        self.preferred_after = fold(preferred_after) if preferred_after else None
        self._bigrams: dict[str, set[str]] = {}
        for name, f in self.folded.items():
            for k in range(len(f) - 1):
                self._bigrams.setdefault(f[k:k + 2], set()).add(name)
        # words shared by most names of this kind say nothing about which one is meant (龙华区, 项目)
        counts: Counter[str] = Counter()
        for f in self.folded.values():
            counts.update({f[k:k + w] for w in (2, 3, 4) for k in range(len(f) - w + 1)})
        n = len(self.names)
        # (units are few: a word two of three units share, 研究院, still tells them from the third)
        common = {g for g, c in counts.items() if (c * 2 > n and n >= 3 and not shared_by_all) or (c == n >= 2)}
        self.generic = sorted({fold(g) for g in generic} | common, key=len, reverse=True)

    def weight(self, segment: str) -> float:
        """Characters of ``segment`` left after removing generic words."""
        if segment.isascii() and len(segment) < 3:
            return 0  # "ec" of "projects" is not "APEC"
        rest = segment
        for g in self.generic:
            rest = rest.replace(g, "")
        weight = len(re.sub(r"[^\w]", "", rest))  # brackets and dashes are not words
        # a long run shared word for word is specific even when made of common words (运行与管理服务)
        return max(weight, len(segment) - 4) if len(segment) >= 6 else weight

    def _bonus(self, folded_name: str, start: int) -> float:
        if self.preferred_after is None:
            return 0.0
        mark = folded_name.find(self.preferred_after)
        return 0.1 if mark >= 0 and start > mark else 0.0  # per character matched in the name

    def best(self, question: str, min_score: float = 2, alternatives: list[list[range]] | None = None,
             only: set[str] | None = None) -> Match | None:
        """All names tied at the highest score (at least ``min_score``), or None.

        ``alternatives``: the spans of the question that are alternative translations of one term
        (广州国际城市创新奖 | 广州奖); a name scores only its best alternative of each term.
        ``only``: the names to consider (all when None).
        """
        where = {p: (g, a) for g, alts in enumerate(alternatives or []) for a, span in enumerate(alts) for p in span}
        candidates = set()
        for k in range(len(question) - 1):
            candidates |= self._bigrams.get(question[k:k + 2], set())
        if only is not None:
            candidates &= only
        top: Match | None = None
        for name in sorted(candidates):
            segs = segments(question, self.folded[name])
            weights = [self.weight(s) for _, s, _ in segs]
            if where:
                weights = _best_alternatives(segs, weights, where)
            base = sum(weights)
            written = len(self.folded[name]) >= 4 and self.folded[name] in question
            if written:
                base = max(base, len(self.folded[name]))  # a name written out in full is meant, words shared or not
            if base < min_score:
                continue
            # the bonus ranks names of this kind; kinds are compared on the base score alone
            rank = base + sum(self._bonus(self.folded[name], j) * w for (_, _, j), w in zip(segs, weights) if w)
            if top and rank < top.rank:
                continue
            pos = {i + d for (i, s, _), w in zip(segs, weights) if w for d in range(len(s))}
            texts = [s for (_, s, _), w in zip(segs, weights) if w]
            if written:
                at = question.find(self.folded[name])
                pos |= set(range(at, at + len(self.folded[name])))
                texts = [self.folded[name]]
            if top is None or rank > top.rank:
                top = Match(self.kind, [name], base, pos, texts, rank)
            else:
                top.names.append(name)
                top.positions |= pos
                top.segments += [t for t in texts if t not in top.segments]
        return top


def _best_alternatives(segs: list[tuple[int, str, int]], weights: list[float],
                       where: dict[int, tuple[int, int]]) -> list[float]:
    """Zero the weights of segments in all but the best-scoring alternative of each term."""
    totals: dict[tuple[int, int], float] = {}
    for (i, _, _), w in zip(segs, weights):
        if i in where:
            totals[where[i]] = totals.get(where[i], 0) + w
    best: dict[int, tuple[int, int]] = {}
    for (g, a), total in totals.items():
        if g not in best or total > best[g][1]:
            best[g] = (a, total)
    return [0 if i in where and best[where[i][0]][0] != where[i][1] else w for (i, _, _), w in zip(segs, weights)]


def mask(question: str, positions: Iterable[int]) -> str:
    """``question`` with the characters at ``positions`` masked out."""
    chars = list(question)
    for p in positions:
        if 0 <= p < len(chars):
            chars[p] = _Q_MASK
    return "".join(chars)


def resolve(question: str, indexes: list[NameIndex], min_score: float = 2, groups: list[set[int]] | None = None,
            alternatives: list[list[range]] | None = None) -> dict[str, Match]:
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
            m = index.best(q, min_score, alternatives)
            if m and (best is None or m.score > best.score):
                best = m
        if best is None:
            return chosen
        chosen[best.kind] = best
        q = mask(q, claimed_by(best, groups))


def claimed_by(match: Match, groups: list[set[int]] | None) -> set[int]:
    """The positions a match uses, widened to the whole of any group it touches."""
    claimed = set(match.positions)
    for group in groups or []:
        if group & match.positions:
            claimed |= group
    return claimed
