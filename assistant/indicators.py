"""Parse a 绩效指标 cell into numbered :class:`Indicator` records, and targets into numbers.

``1、产出指标：全年出访国家或地区数量，年度指标值：20个及以上；2、...`` becomes indicators with
number "1", category "产出", name, target "20个及以上", comparator "≥", value 20, unit "个".
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import cn2an

from .records import Indicator

# a number that opens an indicator: at the start or after a separator, then 、 or a dot that is not
# a decimal point ("2.7万" is a value, "2." before a letter is a number)
_NUMBER = re.compile(r"(?:^|(?<=[；;。，,\s]))[（(]?(\d{1,2})[）)]?\s*(?:、|[.．](?!\d))\s*")
_CATEGORY = re.compile(r"^([一-鿿]{1,8}?)指标\s*[：:]\s*")
_TARGET_LABEL = re.compile(r"[，,；;：:\s]*(?:年度)?(?:指标值|目标值)\s*[：:]\s*")
_WITHHELD = "不宜公开"

# comparator words, checked on the NFKC text; prefixes first, then suffixes
_PREFIX = [
    (("不少于", "不低于", "不小于", "至少", "大于等于", "大于或等于", ">=", "≥", "⩾"), "≥"),
    (("不高于", "不超过", "不多于", "不大于", "小于等于", "小于或等于", "<=", "≤", "⩽", "控制在"), "≤"),
    (("大于", "超过", "高于", "多于", ">"), ">"),
    (("小于", "低于", "少于", "<"), "<"),
]
_SUFFIX = [
    (("及以上", "或以上", "以上(含)", "以上", "及其以上"), "≥"),
    (("及以下", "或以下", "以下(含)", "以下", "以内"), "≤"),
]
_NUM = re.compile(r"\d+(?:\.\d+)?")
_CN_NUM = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_CN_DIGITS = set("零〇一二两三四五六七八九十百千")
_NONE_WORDS = {"无", "零", "没有"}
# measure words, longest first wins; anything else keeps its first character
_MEASURES = sorted(
    "人次 批次 家次 户次 架次 万元 亿元 元 平方米 平方公里 立方米 公里 千米 米 吨 小时 分钟 个工作日 工作日 个百分点 百分点 "
    "课时 学时 公顷 亩 个月 天 日 年 月 周 次 个 人 % ‰ "
    "场 起 项 家 篇 期 件 份 户 所 台 套 条 名 本 册 部 座 床 辆 门 类 批 处 分 元/人".split(),
    key=len, reverse=True,
)


def split_indicators(cell: str) -> list[tuple[str, str]]:
    """Split an indicator cell into ``(number as written, text)`` pairs, in order.

    A cell with no numbering gives one pair with number "".
    """
    cell = (cell or "").strip()
    if not cell or _WITHHELD in cell:
        return []
    marks = list(_NUMBER.finditer(cell))
    if not marks:
        return [("", cell.strip(" ；;。"))]
    parts = []
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(cell)
        text = cell[m.end():end].strip().rstrip("；;。，, ").strip()
        if text:
            parts.append((m.group(1), text))
    return parts


def parse_indicator(number: str, text: str) -> Indicator:
    """Parse one indicator text (without its number) into an :class:`Indicator`."""
    rest = text
    category = None
    m = _CATEGORY.match(rest)
    if m:
        category = m.group(1)
        rest = rest[m.end():]
    label = _TARGET_LABEL.search(rest)
    if label:
        name, target = rest[: label.start()], rest[label.end():]
    else:
        name, target = rest, ""
    name = name.strip(" ，,；;：:")
    target = target.strip(" 。；;，,")
    comparator, value, unit = parse_target(target)
    return Indicator(
        number=number, category=category, name=name, target=target, comparator=comparator,
        value=value, unit=unit, quantified=value is not None, text=text,
    )


def parse_indicators(cell: str) -> list[Indicator]:
    """All indicators of a cell, numbering kept as written."""
    return [parse_indicator(n, t) for n, t in split_indicators(cell)]


def _cn_to_digits(text: str) -> str:
    """Replace Chinese numerals (五十, 两千) with digits, leaving 万/亿 after digits alone."""

    def repl(m: re.Match[str]) -> str:
        run = m.group()
        if not (set(run) & _CN_DIGITS):
            return run  # a lone 万 after digits is a multiplier, handled later
        try:
            return str(cn2an.cn2an(run, "smart"))
        except (ValueError, KeyError):
            return run

    return _CN_NUM.sub(repl, text)


def parse_target(target: str) -> tuple[str | None, Decimal | None, str | None]:
    """``(comparator, value, unit)`` of a target as written; ``(None, None, None)`` if not numeric.

    ``不少于100次翻译任务`` -> (≥, 100, 次); ``2.7万人以上`` -> (≥, 27000, 人); ``≤1%`` -> (≤, 1, %);
    ``不高于办证总数的5%`` -> (≤, 5, %); ``0起`` -> (=, 0, 起); ``无`` -> (=, 0, None).
    """
    t = unicodedata.normalize("NFKC", target or "").strip()
    if not t:
        return None, None, None
    if t in _NONE_WORDS:
        return "=", Decimal(0), None
    t = _cn_to_digits(t)
    m = _NUM.search(t)
    if not m:
        return None, None, None
    try:
        value = Decimal(m.group())
    except InvalidOperation:
        return None, None, None
    before, after = t[: m.start()], t[m.end():]
    comparator = "="
    for words, op in _PREFIX:
        if any(w in before for w in words):
            comparator = op
            break
    unit_text = after
    for words, op in _SUFFIX:
        hit = next((w for w in words if w in after), None)
        if hit:
            if comparator == "=":
                comparator = op
            unit_text = after[: after.index(hit)]
            break
    unit_text = re.sub(r"\([^)]*\)", "", unit_text)  # 家(人)次 -> 家次
    unit_text = re.split(r"[，,；;。]", unit_text, maxsplit=1)[0].strip()
    if unit_text.startswith("万") and not unit_text.startswith("万元"):
        value *= 10000
        unit_text = unit_text[1:]
    elif unit_text.startswith("亿") and not unit_text.startswith("亿元"):
        value *= 100000000
        unit_text = unit_text[1:]
    value = value.normalize() if value == value.to_integral() else value
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return comparator, value, _measure(unit_text)


def _measure(unit_text: str) -> str | None:
    """The unit of measure at the start of ``unit_text`` (``次翻译任务`` -> ``次``)."""
    if not unit_text:
        return None
    for m in _MEASURES:
        if unit_text.startswith(m):
            return m
    return unit_text[0] if len(unit_text) > 3 else unit_text
