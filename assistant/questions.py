"""Reading a question: its normalised text with the spans accounted for, its language, and the
numbers in it — conditions ("不低于95%", "over 300 (in 10,000 yuan)", "between A and B") and
rankings ("top 3", "最低的两个", "第二高")."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from .records import Indicator


class Condition(BaseModel):
    """A numeric condition: ``op`` value (and ``upper`` for between), in ``unit``."""

    op: Literal["=", "≥", ">", "≤", "<", "between"]
    value: Decimal
    upper: Decimal | None = None
    unit: str | None = None
    about: Literal["target"] | None = None  # "target value is 50": the number is a target, not an amount

    def holds(self, x: Decimal) -> bool:
        """Whether the number ``x`` meets the condition (between is inclusive)."""
        v = self.value
        return {
            "=": x == v, "≥": x >= v, ">": x > v, "≤": x <= v, "<": x < v,
            "between": v <= x <= (self.upper if self.upper is not None else v),
        }[self.op]

    def satisfied_by(self, ind: Indicator) -> bool:
        """Whether an indicator's target value meets the condition (``95%以上`` meets "at least 90%")."""
        # The target's value is compared: reviewers ask about the level a target is set at, so
        # "satisfaction target below 95%" includes 90%以上 and "at least 90%" includes 95%以上.
        if ind.value is None or not _units_agree(self.unit, ind.unit):
            return False
        return self.holds(ind.value)

    def describe(self, language: str) -> str:
        """Readable form, e.g. ``≥ 95%`` or ``between 100.00 and 200.00``."""
        unit = self.unit or ""
        if self.op == "between":
            return f"{self.value}–{self.upper}{unit}" if language == "zh" else f"between {self.value} and {self.upper} {unit}".strip()
        return f"{self.op} {self.value}{unit}"


def _units_agree(wanted: str | None, have: str | None) -> bool:
    if not wanted:
        return True
    if not have:
        return False
    wanted, have = wanted.removeprefix("个"), have.removeprefix("个")  # 个工作日 and 工作日 agree
    return wanted == have or wanted in have  # 人次 is in 万人次; 人 is not 人次


def detect_language(question: str) -> Literal["zh", "en"]:
    """English when the question reads as English (two function words or more), else Chinese if it has any."""
    words = re.findall(r"[a-z']+", question.lower())
    function = {"what", "which", "how", "is", "are", "the", "of", "do", "does", "for", "with", "to", "in", "and", "list",
                "show", "their", "many", "much", "have", "has", "at", "by", "a", "an", "that", "there", "any", "all", "who"}
    cjk = len(re.findall(r"[一-鿿]", question))
    if sum(w in function for w in words) >= 2 or (len(words) >= 3 and cjk <= 2 * len(words)):
        return "en"
    return "zh" if cjk else "en"


_CN_DIGIT = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_DIGIT = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def small_number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token in _EN_DIGIT:
        return _EN_DIGIT[token]
    if len(token) == 1 and token in _CN_DIGIT:
        return _CN_DIGIT[token]
    if len(token) == 2 and token[0] == "十" and token[1] in _CN_DIGIT:
        return 10 + _CN_DIGIT[token[1]]
    return None


@lru_cache(maxsize=8192)
def _rx(pattern: str) -> re.Pattern[str]:
    """Compiled patterns; the glossary has more than ``re``'s own cache holds."""
    return re.compile(pattern)


def _dec(x: Decimal) -> str:
    return format(x.normalize(), "f")


_CN_RUN = re.compile(r"(?<![哪每这那某任同唯统第])([零〇一二两三四五六七八九十百千万亿]+)(?=万元|元|个|项|条|天|人次|次|场|批|家|%|名|位)")


_CN_RANGE_START = re.compile(r"(?<![哪每这那某任同唯统第])([零〇一二两三四五六七八九十百千万亿]+)(?=\s*(?:到|至|~|-)\s*\d+(?:\.\d+)?\s*(?:万元|元))")


def _cn_numbers(text: str) -> str:
    """Chinese numerals before a unit become digits (三百万元 -> 3000000元, 两个 -> 2个); 一共 stays."""
    import cn2an

    def number(m: re.Match[str]) -> str:
        try:
            return str(cn2an.cn2an(m.group(1), "smart"))
        except (ValueError, KeyError):
            return m.group(0)

    text = text.replace("百分之百", "100%")
    text = re.sub(r"百分之([零〇一二两三四五六七八九十百点]+)", lambda m: number(m) + "%", text)
    text = _CN_RUN.sub(number, text)
    # "一百万到三百万元": the first end of a range takes the unit of the second
    return _CN_RANGE_START.sub(number, text)


class Text:
    """The question being read, with the spans already accounted for (consumed)."""

    def __init__(self, question: str) -> None:
        t = unicodedata.normalize("NFKC", question)
        t = re.sub(r"\bIT\b", "information technology", t).lower()  # "the IT centre": no pronoun
        t = re.sub(r"(?<=\d),(?=\d{3})", "", t)  # 4,005.30 -> 4005.30
        t = re.sub(r"(?<=[a-z])['’]s\b", "", t)  # the office's projects -> the office projects
        t = re.sub(r"(?<=[a-z]s)['’](?![a-z])", "", t)  # the cadres' sanatorium -> the cadres sanatorium
        t = re.sub(r"(?<=\d)-(?=[a-z])", " ", t)  # a 12-month target -> a 12 month target
        t = _cn_numbers(t)
        t = re.sub(r"\bzero\b", "0", t)  # "zero incidents"
        t = re.sub(r"[(（]\s*(?:in\s+)?(?:units of\s+)?(万元|(?<!\d)(?:10000|ten thousand|10k)\s*(?:yuan|rmb|元))\s*[)）]", " 万元 ", t)
        t = re.sub(r"(?<!\d)(?:10000|ten thousand|10k)\s*(?:yuan|rmb)", " 万元 ", t)
        # "1.5 and 2 million", "400000 to 1000000 yuan": the unit after a range belongs to both ends
        t = re.sub(r"(\d+(?:\.\d+)?)\s*(and|to|-|~|到|至)\s*(?=\d+(?:\.\d+)?\s*(million|yuan|rmb|元)(?![a-z]))",
                   lambda m: f"{m.group(1)} {m.group(3)} {m.group(2)} ", t)
        t = re.sub(r"(\d+(?:\.\d+)?)\s*million\s*(?:yuan|rmb)?", lambda m: f"{_dec(Decimal(m.group(1)) * 100)} 万元 ", t)
        t = re.sub(r"(\d+(?:\.\d+)?)\s*亿元?", lambda m: f"{_dec(Decimal(m.group(1)) * 10000)}万元", t)
        t = re.sub(r"(\d+(?:\.\d+)?)\s*(?<!万)(?:yuan|rmb|cny|元)(?![a-z])", lambda m: f"{_dec(Decimal(m.group(1)) / 10000)} 万元", t)
        # "及时率（含及时性）" names one more thing; "(含50万元)" only says a bound is inclusive
        t = re.sub(r"[(（]\s*(?:含|包括|包含)\s*((?![一-鿿]*(?:单位|下属|在内|全部|所有|部门|项目))[一-鿿]{2,8})\s*[)）]", r"和\1", t)
        t = re.sub(r"[(（]\s*(?:含|包括|包含|均含|inclusive)[^)）]*[)）]|\binclusive\b", " ", t)
        self.text = t
        self.used = [False] * len(t)
        self.soft: set[int] = set()  # units of measure: consumed, yet still words for the glossary

    def find(self, pattern: str, consume: bool = True) -> list[re.Match[str]]:
        """Matches of ``pattern`` on spans not yet consumed."""
        out = []
        for m in _rx(pattern).finditer(self.text):
            if any(self.used[m.start():m.end()]):
                continue
            out.append(m)
            if consume:
                self.consume(m.start(), m.end())
        return out

    def has(self, patterns: list[str], consume: bool = True) -> bool:
        """True if any of ``patterns`` occurs (English ones on word boundaries)."""
        hit = False
        for p in patterns:
            rx = rf"(?<![a-z]){p}(?![a-z])" if re.match(r"[a-z%(]", p) else p
            if self.find(rx, consume):
                hit = True
        return hit

    def consume(self, start: int, end: int) -> None:
        """Mark a span as accounted for."""
        for k in range(start, end):
            self.used[k] = True

    def rest(self, soft: bool = False) -> str:
        """The text not consumed, with consumed spans as spaces (``soft``: units of measure kept)."""
        return "".join(" " if u and not (soft and k in self.soft) else c for k, (c, u) in enumerate(zip(self.text, self.used)))


def read_rank(t: Text) -> tuple[str, int, int] | None:
    """``(order, limit, offset)`` for "top 3", "最低的两个", "第二高", or None."""
    num = r"(\d+|[一二两三四五六七八九十]{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
    ordinal = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}
    for rx, order in ((r"第([二两三四五六七八九十\d]{1,2})(?:高|大|多|贵)(?!级)", "desc"), (r"第([二两三四五六七八九十\d]{1,2})(?:低|小|少)", "asc"),
                      (r"(second|third|fourth|fifth|2nd|3rd|4th|5th)[- ](?:highest|largest|biggest|most expensive)", "desc"),
                      (r"(second|third|fourth|fifth|2nd|3rd|4th|5th)[- ](?:lowest|smallest|cheapest)", "asc")):
        for m in t.find(rx):
            n = ordinal.get(m.group(1)) or small_number(m.group(1))
            if n:
                return order, 1, n - 1
    for rx, order in (
        # "哪两个项目预算最少": the number before, the order after
        (rf"哪{num}\s*(?:个|项)[^，,。？?]{{0,12}}?(?:最高|最大|最多|最贵)", "desc"),
        (rf"哪{num}\s*(?:个|项)[^，,。？?]{{0,12}}?(?:最低|最小|最少|最便宜)", "asc"),
        (rf"(?:最高|最大|最多|最贵|排名前|前)的?\s*{num}\s*(?:个|项|名|位)?", "desc"),
        (rf"(?:最低|最小|最少|最便宜|后)的?\s*{num}\s*(?:个|项|名|位)?", "asc"),
        (rf"(?:top|largest|biggest|highest|most expensive|greatest)\s+{num}", "desc"),
        (rf"{num}\s+(?:largest|biggest|highest|most expensive|greatest)", "desc"),
        (rf"(?:bottom|smallest|lowest|cheapest|least expensive)\s+{num}", "asc"),
        (rf"{num}\s+(?:smallest|lowest|cheapest|least expensive)", "asc"),
        # "which two projects have the smallest budgets"
        (rf"{num}\s+(?:projects?|items?)\s+(?:[a-z]+\s+){{0,3}}?(?:largest|biggest|highest|most expensive|greatest)", "desc"),
        (rf"{num}\s+(?:projects?|items?)\s+(?:[a-z]+\s+){{0,3}}?(?:smallest|lowest|cheapest|least expensive)", "asc"),
    ):
        for m in t.find(rx):
            n = small_number(m.group(1))
            if n:
                return order, n, 0
    return None


_CLASSIFIERS = {"个", "项", "家", "名", "位", "条", "所", "批", "座", "处"}


def read_conditions(t: Text, measures: list[tuple[str, str]]) -> list[Condition]:
    """Numeric conditions with their unit (None when none was written); ``measures`` are
    (pattern, unit) pairs for units of measure, longest first."""
    unit_rx = "|".join(f"(?:{p})" for p, _ in measures)
    num = r"(\d+(?:\.\d+)?)"
    u = rf"\s*({unit_rx})?"
    ge = r"不低于|不少于|不小于|至少|大于等于|大于或等于|≥|>=|at least|no less than|not less than|(?:a )?minimum of|no fewer than"
    le = r"不高于|不超过|不多于|不大于|小于等于|≤|<=|at most|no more than|not more than|up to|(?:a )?maximum of|no higher than"
    gt = r"超过|大于|高于|多于|>|over|more than|above|greater than|exceeding|exceeds?|higher than"
    lt = r"低于|小于|少于|不足|不到|未满|未达到?|<|under|below|less than|fewer than|lower than"
    eq = r"等于|为|是|达到|=|exactly|equal to|equals?|of"
    out: list[Condition] = []

    def unit_of(raw: str | None) -> str | None:
        if not raw:
            return None
        return next((unit for p, unit in measures if re.fullmatch(p, raw)), raw)

    for m in t.find(rf"(?:在|介于|between|from)\s*{num}{u}\s*(?:到|至|和|与|-|~|～|and|to)\s*{num}{u}\s*(?:之间|以内|范围内|范围)?"):
        out.append(Condition(op="between", value=Decimal(m.group(1)), upper=Decimal(m.group(3)), unit=unit_of(m.group(4) or m.group(2))))
    for words, op in ((ge, "≥"), (le, "≤"), (gt, ">"), (lt, "<")):
        for m in t.find(rf"(?:{words})\s*{num}{u}"):
            out.append(Condition(op=op, value=Decimal(m.group(1)), unit=unit_of(m.group(2))))  # type: ignore[arg-type]
    suffix = {"≥": r"及以上|或以上|以上|or more|and above|or above|or higher|plus|\+", "≤": r"及以下|或以下|以下|以内|or less|or below|and below|or fewer|or lower"}
    for op, words in suffix.items():
        for m in t.find(rf"{num}{u}\s*(?:[(（][^)）]{{1,8}}[)）]\s*)?(?:{words})"):  # "1,000 person-times (人次) or more"
            out.append(Condition(op=op, value=Decimal(m.group(1)), unit=unit_of(m.group(2))))  # type: ignore[arg-type]
    for m in t.find(rf"(?<![\d.]){num}\s*(?:[a-z-]+\s+){{0,2}}?({unit_rx})(?![a-z])", consume=False):
        # "365 service days": the number and its unit are the condition; "service" stays a word.
        # A classifier before a noun counts things, it is no target: "两个信息化运维项目" (but "365天保障运行" is)
        after = t.text[m.end():m.end() + 1]
        if unit_of(m.group(2)) in _CLASSIFIERS and re.match(r"[一-鿿]", after) and after not in "的以及或和是":
            continue
        t.consume(m.start(1), m.end(1))
        t.consume(m.start(2), m.end(2))
        t.soft |= set(range(m.start(2), m.end(2)))
        out.append(Condition(op="=", value=Decimal(m.group(1)), unit=unit_of(m.group(2))))
    for m in t.find(rf"(?:target(?: value)?|指标值|目标值)\s*(?:is|of|=|为|是|:|：)?\s*{num}(?![\d.])"):
        out.append(Condition(op="=", value=Decimal(m.group(1)), about="target"))  # "target value is 50": no amount
    for m in t.find(rf"(?:{eq})\s*{num}(?![\d.])"):
        out.append(Condition(op="=", value=Decimal(m.group(1))))
    return out
