"""Numbers in text -> canonical value+unit tokens, so every spelling of one amount matches.

"5%", "5 percent" and "5 per cent" are all `num:5:pct`; "1,200", "1200", "1.2k" and "1.2 thousand"
are all `num:1200`; "$1.2bn", "$1.2 billion", "1.2 billion dollars" and "USD 1.2bn" are all
`num:1200000000:usd`; "31.7m euros" and "€31.7 million" are `num:31700000:eur`; "5km" and "5 km"
are `num:5:km`; Chinese numerals count too ("八百人" is `num:800`, "1.2亿美元" `num:120000000:usd`). A mention with a unit also yields the bare value (`num:1200000000`), so a question
that names the amount without its unit still meets it. Text is NFKC-normalised first (full-width
digits and signs count), and the small English number words (zero to twenty) count as values.

An amount with a unit is found where the same value is written without any unit (`found`), and a
rounded amount where the amount it rounds is (`found_rounded`: "$400 million" for "$402 million").

The one canonicaliser for the answerer's key terms (bot/answer/extractive.py), the claim check's number matching
(bot/answer/check.py) and the BM25 tokens (bot/lexical.py): no library matches "1.2bn" with "1.2 billion".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_SCALES = {
    "k": 3, "thousand": 3, "thousands": 3, "m": 6, "mn": 6, "mln": 6, "million": 6, "millions": 6,
    "b": 9, "bn": 9, "bln": 9, "billion": 9, "billions": 9, "tn": 12, "trn": 12, "trillion": 12,
    "lakh": 5, "lakhs": 5, "crore": 7, "crores": 7, "万": 4, "萬": 4, "亿": 8, "億": 8,
}
# Currency written before the number: symbols and ISO codes.
_PREFIX = {
    "us$": "usd", "$us": "usd", "$": "usd", "a$": "aud", "c$": "cad", "hk$": "hkd", "s$": "sgd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr", "₩": "krw", "₽": "rub",
    "usd": "usd", "eur": "eur", "gbp": "gbp", "jpy": "jpy", "cny": "cny", "rmb": "cny", "inr": "inr",
    "chf": "chf", "cad": "cad", "aud": "aud", "hkd": "hkd", "rs": "inr", "rs.": "inr",
}
# Units written after the number (currency words and codes, percent, measures).
_SUFFIX = {
    "%": "pct", "percent": "pct", "per cent": "pct", "pct": "pct", "pc": "pct",
    "percentage point": "pp", "percentage points": "pp", "basis point": "bp", "basis points": "bp", "bps": "bp",
    "usd": "usd", "eur": "eur", "gbp": "gbp", "jpy": "jpy", "cny": "cny", "rmb": "cny", "inr": "inr",
    "chf": "chf", "cad": "cad", "aud": "aud", "hkd": "hkd",
    "dollar": "usd", "dollars": "usd", "euro": "eur", "euros": "eur", "pound": "gbp", "pounds": "gbp",
    "sterling": "gbp", "yen": "jpy", "yuan": "cny", "renminbi": "cny", "rupee": "inr", "rupees": "inr",
    "franc": "chf", "francs": "chf", "rouble": "rub", "roubles": "rub", "ruble": "rub", "rubles": "rub",
    "km": "km", "kilometre": "km", "kilometres": "km", "kilometer": "km", "kilometers": "km",
    "mile": "mi", "miles": "mi", "kg": "kg", "kilogram": "kg", "kilograms": "kg", "kilo": "kg", "kilos": "kg",
    "tonne": "t", "tonnes": "t", "ton": "t", "tons": "t", "metre": "m", "metres": "m", "meter": "m",
    "meters": "m", "cm": "cm", "mm": "mm", "mph": "mph", "km/h": "kmh", "kph": "kmh",
    "kw": "kw", "mw": "mw", "gw": "gw", "kwh": "kwh", "mwh": "mwh", "gwh": "gwh", "twh": "twh",
    "megawatt": "mw", "megawatts": "mw", "gigawatt": "gw", "gigawatts": "gw",
    "litre": "l", "litres": "l", "liter": "l", "liters": "l", "hectare": "ha", "hectares": "ha",
    "°c": "c", "°f": "f",
    "美元": "usd", "欧元": "eur", "英镑": "gbp", "日元": "jpy", "元": "cny", "人民币": "cny", "円": "jpy",
    "公里": "km", "千米": "km", "公斤": "kg", "吨": "t", "米": "m",
}
_WORD_VALUES = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}


def _alternation(keys: Iterable[str]) -> str:
    # Longest first, so "km" wins over "k" and "per cent" over "per".
    return "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(keys, key=len, reverse=True))


_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
# Not followed by a letter ("5 km" but not "5 kmart"); Han and kana may follow, being unspaced.
_END = r"(?![^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff])"
# A mention is found from its value outwards (a regex that tried every currency at every position was
# eight times slower than bm25s's whole tokenisation): the value, then a currency just before it, then
# a scale and a unit after it.
# Digits and number words are found apart: a pattern starting with a digit is scanned for fast, and
# number words are searched in the lower-cased text without re.IGNORECASE (three times faster).
_DIGIT_VALUE = re.compile(_DIGITS)
_WORD_VALUE = re.compile(rf"\b(?:{'|'.join(_WORD_VALUES)})\b")
_WORD_VALUE_ANY_CASE = re.compile(_WORD_VALUE.pattern, re.IGNORECASE)


def _values(text: str) -> list[re.Match[str]]:
    """Digit and number-word matches of a text, in order (word matches may come from its lower case)."""
    found = list(_DIGIT_VALUE.finditer(text))
    low = text.lower()
    # Lower-casing keeps offsets unless a character changes length ('İ'): then search the text itself.
    words = _WORD_VALUE.finditer(low) if len(low) == len(text) else _WORD_VALUE_ANY_CASE.finditer(text)
    found.extend(words)
    return sorted(found, key=lambda m: m.start())
_BEFORE = re.compile(rf"(?<![^\W\d_])(?P<pre>{_alternation(_PREFIX)})\s*$", re.IGNORECASE)
_AFTER = re.compile(
    rf"(?:(?P<sep>[\s\-‐]*)(?P<scale>{_alternation(_SCALES)}){_END})?"
    rf"(?:[\s\-‐]*(?P<unit>{_alternation(_SUFFIX)})(?:{_END}|(?<=%)))?",
    re.IGNORECASE,
)


# Chinese numerals ("八百" 800, "一千二百" 1200, "三万" 30000; "百分之五" 5%). A lone "一" or a lone
# place word ("十分" is "very", "千万" "by all means") is no number: a run needs a digit and, if it is
# one character, not "一".
_HAN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
               "八": 8, "九": 9}
_HAN_PLACES = {"十": 10, "百": 100, "千": 1000}
_HAN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_HAN_ALL = frozenset(_HAN_DIGITS) | frozenset(_HAN_PLACES) | frozenset(_HAN_BIG) | frozenset("壹贰叁肆伍陆柒捌玖拾佰仟廿卅")
_HAN_MENTION = re.compile(
    rf"(?P<pct>百分之)?(?P<value>[{''.join(_HAN_DIGITS)}{''.join(_HAN_PLACES)}{''.join(_HAN_BIG)}]+)"
    rf"(?P<unit>{'|'.join(sorted((k for k in _SUFFIX if not k.isascii()), key=len, reverse=True))})?"
)


def _han_value(run: str) -> int | None:
    """The value of a run of Chinese numerals, or None when it is not read as a number."""
    if not any(ch in _HAN_DIGITS for ch in run) or run == "一":
        return None
    if all(ch in _HAN_DIGITS for ch in run):  # "二〇二三": a year, read digit by digit
        return int("".join(str(_HAN_DIGITS[ch]) for ch in run))
    total = section = digit = 0
    for ch in run:
        if ch in _HAN_DIGITS:
            digit = _HAN_DIGITS[ch]
        elif ch in _HAN_PLACES:
            section += (digit or 1) * _HAN_PLACES[ch]
            digit = 0
        else:
            total += (section + digit) * _HAN_BIG[ch]
            section = digit = 0
    return total + section + digit


@dataclass(frozen=True)
class Amount:
    """One number mentioned in a text: its value (scale applied) and unit ('' when none), its span."""

    value: Decimal
    unit: str
    start: int
    end: int

    @cached_property
    def plain(self) -> str:
        """The value written plainly: '1200000000', '27.9'."""
        return _plain(self.value)

    @property
    def token(self) -> str:
        """The canonical token: 'num:1200', 'num:1200000000:usd', 'num:5:pct'."""
        return f"num:{self.plain}:{self.unit}" if self.unit else f"num:{self.plain}"

    @property
    def tokens(self) -> tuple[str, ...]:
        """The token, and the bare value's token when there is a unit."""
        return (self.token, f"num:{self.plain}") if self.unit else (self.token,)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def amounts(text: str) -> list[Amount]:
    """Every number in `text` with its unit, in order; spans index the NFKC-normalised text."""
    text = text if text.isascii() else unicodedata.normalize("NFKC", text)
    out: list[Amount] = []
    last = 0
    for v in _values(text):
        raw, at = v.group(0), v.start()
        if at < last or (text[at - 1 : at] in (".", ",") and text[at - 2 : at - 1].isdigit()):
            continue  # inside a number: the '5' of '2,5'
        word = _WORD_VALUES.get(raw.lower())
        try:
            value = Decimal(word) if word is not None else Decimal(raw.replace(",", ""))
        except InvalidOperation:
            continue
        before = _BEFORE.search(text, max(last, at - 8), at) if at else None
        m = _AFTER.match(text, v.end())
        assert m is not None  # every part of it is optional
        scale = (m.group("scale") or "").lower()
        if scale:
            if scale in ("k", "m", "b") and m.group("sep"):
                scale = ""  # "5 m" is five metres, "5m" five million; a lone "k" or "b" must be attached too
            if scale:
                value = value.scaleb(_SCALES[scale])
        prefix = _PREFIX.get(before.group("pre").lower(), "") if before else ""
        unit = m.group("unit")
        suffix = _SUFFIX.get(" ".join(unit.lower().split()), "") if unit else ""
        start = before.start() if before else v.start()
        out.append(Amount(value, prefix or suffix, start, m.end()))
        last = m.end()
    for m in _HAN_MENTION.finditer(text) if any(ch in text for ch in _HAN_DIGITS) else ():
        han = _han_value(m.group("value"))
        if han is not None:
            unit = "pct" if m.group("pct") else _SUFFIX.get(m.group("unit") or "", "")
            out.append(Amount(Decimal(han), unit, m.start(), m.end()))
    return sorted(out, key=lambda a: a.start)


def without_amounts(text: str) -> tuple[str, list[Amount]]:
    """(the NFKC text with every amount blanked out, the amounts): words and numbers tokenised apart."""
    text = text if text.isascii() else unicodedata.normalize("NFKC", text)
    found = amounts(text)
    parts: list[str] = []
    last = 0
    for a in found:
        parts.append(text[last : a.start])
        parts.append(" ")
        last = a.end
    parts.append(text[last:])
    return "".join(parts), found


def number_tokens(text: str) -> list[str]:
    """Canonical tokens of every number in `text` (see the module docstring), in order, repeats kept."""
    return [t for a in amounts(text) for t in a.tokens]


_SHARES = frozenset({"pct", "pp", "bp"})


def found(token: str, tokens: Collection[str]) -> bool:
    """True when `tokens` (from number_tokens) hold the amount `token` stands for.

    The same value and unit in any spelling; or, for an amount with a currency or a measure, the
    bare value when no unit is given for it there: "$1.2bn" is found in "valued at 1.2 billion",
    not in "€1.2bn". A share ("5%") is found only as a share: "5 stores" is not "5%".
    """
    if token in tokens:
        return True
    bare, sep, unit = token.rpartition(":")
    if not sep or bare == "num" or unit in _SHARES:
        return False
    return bare in tokens and not any(t.startswith(f"{bare}:") for t in tokens)


ROUNDING_MAX = Decimal("0.02")  # the most a rounded amount may differ from the one it rounds, relatively


def found_rounded(token: str, tokens: Collection[str]) -> bool:
    """True when `tokens` hold the amount `token` stands for (`found`), or one it rounds.

    A rounding is of the same unit, is the amount to the token's own significant digits, and differs
    from it by at most ROUNDING_MAX: "$400 million" rounds "$402 million", "28%" rounds "27.9%", "$5"
    rounds "$4.96"; "$400 million" does not round "$449 million", nor "three" "four". A bare number
    below a million (a count, a year) has no rounding: it must be found as it is.
    """
    if found(token, tokens):
        return True
    _, value, unit = _parts(token)
    if value is None or value <= 0 or (not unit and value < 1_000_000):
        return False
    exponent = value.normalize().as_tuple().exponent  # 4E+8 -> 8 (rounded to 1E+8); 27.9 -> -1 (to 0.1)
    if not isinstance(exponent, int):
        return False
    quantum = Decimal(1).scaleb(exponent)
    for other in tokens:
        _, near, other_unit = _parts(other)
        if near is None or near <= 0 or other_unit != unit:
            continue
        if (near / quantum).to_integral_value(ROUND_HALF_UP) * quantum == value and abs(near - value) <= ROUNDING_MAX * near:
            return True
    return False


def _parts(token: str) -> tuple[str, Decimal | None, str]:
    """('num', value, unit) of a canonical token; value None when it is no number."""
    head, _, rest = token.partition(":")
    value, _, unit = rest.partition(":")
    try:
        return head, Decimal(value), unit
    except InvalidOperation:
        return head, None, unit


def has_figure(text: str) -> bool:
    """True when a text holds a number: digits of any script, a number word, Chinese numerals ('八百'), '½'.

    A lone Han numeral character is read only through the parser above ('一家' is 'a company').
    """
    return bool(amounts(text)) or any(
        unicodedata.numeric(ch, None) is not None and ch not in _HAN_ALL for ch in text
    )
