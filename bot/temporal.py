"""News-aware reading: question forms, dates in answers, relative dates, values that change.

News is a stream of dated claims. This module holds what both answerers and retrieval need to
reason about it, with no model:
- `question_form`: a value ("How much did X raise?"), a list ("Which companies ...", "Name the ..."),
  a count of things across articles ("How many companies ...") or a timeline ("How has X changed?",
  "What happened with X?"); lists, counts and timelines span articles, so retrieval fetches more;
- `can_change`: whether the answer is a value that can change (a holder, price, forecast, target,
  count, status): such answers say "As of <date>";
- `resolve_relative`: "on Saturday", "yesterday", "last week", "this year" read against the article's
  publish date (the Saturday on or before it), and `event_day`, the day a sentence's event happened;
- `question_days`: the same read against the day a question is asked ("What happened yesterday?" asked
  as of 11 June is about 10 June), and `only_about_a_day`, a question with nothing else to search for;
- `values` / `conflict`: the amounts (by value and unit, bot.numbers), years or names a sentence
  states, and whether two sentences about the same thing state different ones;
- `disagree_window`: two articles of different outlets within this many days that conflict disagree
  (neither is a later version of the other), unless the later one says it corrects or revises.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Literal

from dataclasses import dataclass

from bot.numbers import amounts, without_amounts
from bot.schema import Passage, date_ordinal

DISAGREE_DAYS = 2
LIST_K = 12  # passages retrieved for a question whose answer spans articles

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
# Every way news writes a month: the names, then their short forms ("Sept" too).
MONTH_FORMS = MONTHS + ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
# What a question may count or list: things with names, one per article.
_ENTITY = (
    r"compan(?:y|ies)|firms?|businesses|banks?|carmakers?|automakers?|makers?|manufacturers?|retailers?|"
    r"airlines?|brands?|chains?|groups?|startups?|start-ups?|lenders?|insurers?|miners?|operators?|"
    r"suppliers?|cities|towns?|countries|nations?|states?|regions?|provinces?|councils?|governments?|"
    r"people|persons?|executives?|politicians?|candidates?|players?|teams?|clubs?|products?|drugs?|"
    r"models?|outlets?|newspapers?|universities|schools?|hospitals?|ports?|unions?|agencies|"
    r"organi[sz]ations?|projects?|deals?|plants?|factories|stores?|events?|incidents?"
)
_ENTITY_RE = re.compile(rf"^(?:{_ENTITY})$", re.IGNORECASE)
_WH_NOUN = re.compile(r"^\W*(?:which|what)\s+((?:[\w-]+\s+){0,2}?)([\w-]+)\b(\s+(?:were|are|have|had|did|do)\b)?",
                      re.IGNORECASE)
_NAME_THE = re.compile(r"^\W*(?:name|list)\s+(?:all\s+|some\s+|every\s+)?(?:of\s+)?(?:the\s+)?\w+|"
                       r"^\W*who\s+(?:are|were)\s+the\s+\w+s\b", re.IGNORECASE)
_COUNT = re.compile(rf"^\W*how\s+many\s+(?:[\w-]+\s+)?({_ENTITY})\b", re.IGNORECASE)
_TIMELINE = re.compile(
    r"\bhow\s+(?:has|have|did)\b.*\b(?:chang\w*|evolv\w*|develop\w*|progress\w*|unfold\w*|mov\w*)\s*\??\s*$"
    # "the history of X" asks for one; "the longest speech in the history of the Oscars" does not.
    r"|\bwhat\s+(?:has\s+)?happen\w*\s+(?:with|to)\b|\btimeline\b|(?<!\bin the )(?<!\bin its )(?<!\bin their )\bhistory of\b"
    r"|\bwhat\s+is\s+the\s+latest\s+on\b",
    re.IGNORECASE,
)
# A value that can change: holders, prices, forecasts, targets, counts, statuses.
_CHANGEABLE = re.compile(
    r"\b(?:chief executive|ceo|chair\w*|president|leader|head|governor|mayor|minister|owner|holds?|holder|"
    r"runs?|leads?|price\w*|costs?|fares?|rates?|forecasts?|outlook|expect\w*|targets?|goal|aims?|plan\w*|"
    r"budget|capacity|status|stand|valu\w+|worth|share|stake|licen[cs]e|headcount|workforce|guidance|"
    r"estimate\w*|projection|stage)\b",
    re.IGNORECASE,
)
# A later article that says it corrects or revises an earlier report is a new version, not a rival.
_CORRECTS = re.compile(
    r"\b(?:correct(?:ion|ed|s)|misstat\w*|revis\w*|clarif\w*|amend\w*|not the figure|earlier version|"
    r"previously reported|had reported)\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"\b(?:(?:on|last|this|since|from|until|by)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(yesterday|today|tonight|tomorrow)\b"
    r"|\b(last|this|next)\s+(week|month|year)\b"
    r"|\b(\d+|a|one|two|three|four|five|six|seven)\s+(day|week|month|year)s?\s+ago\b",
    re.IGNORECASE,
)
# A calendar date right after a weekday: ", September 5", " 5 September", " (Sept. 5)".
_MONTH_WORD = "(?:" + "|".join(m[:3] for m in MONTHS) + r")[a-z]*\.?"  # "Sept.", "September"
_EXPLICIT_DAY = re.compile(
    rf",?\s*\(?\s*(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_WORD}|{_MONTH_WORD}\s+\d{{1,2}}\b)",
    re.IGNORECASE,
)
_SMALL = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
YEAR = re.compile(r"\b(?:19|20)\d\d\b")  # a year, 1900-2099 (also used by the answer checks)
_NAME = re.compile(r"\b[A-Z][\w'’&.-]*[\w]")


QuestionForm = Literal["value", "list", "count", "timeline"]


def question_form(question: str) -> QuestionForm:
    """'timeline', 'count', 'list' or 'value': what shape the answer to a question takes."""
    q = question.strip()
    if _TIMELINE.search(q):
        return "timeline"
    count = _COUNT.search(q)
    # "How many stores will Quillon Foods open?" asks for a figure one article states; "How many
    # companies announced layoffs?" counts articles: it names no one.
    rest = q[count.end():] if count else ""
    # "How many factories does it run?" asks for a figure about "it": the noun is the object.
    if count and not _names_in(rest) and not re.match(r"\s+(?:do|does|did|will|would|can|could|should)\b", rest, re.I):
        return "count"
    if _NAME_THE.search(q):
        return "list"
    wh = _WH_NOUN.search(q)
    if wh:
        noun = wh.group(2).lower()
        plural = noun == "people" or (noun.endswith("s") and not noun.endswith("ss"))
        if plural and (_ENTITY_RE.match(noun) or wh.group(3)):
            return "list"
    return "value"


def _names_in(text: str) -> bool:
    return any(w.lower() not in MONTHS and w.lower() not in WEEKDAYS for w in _NAME.findall(text))


def spans_articles(question: str) -> bool:
    """True for list, count and timeline questions: their answer gathers one item per article."""
    return question_form(question) != "value"


# A habitual fact: "Which holiday takes place on the third Monday of February every year?"
_HABITUAL = re.compile(
    r"\b(?:every|each)\s+(?:year|month|week|day|spring|summer|autumn|fall|winter|season|time)\b"
    r"|\b(?:annually|usually|traditionally|customarily|always|by tradition)\b",
    re.IGNORECASE,
)


def habitual(question: str) -> bool:
    """True when a question asks about something that recurs or always holds ("every year",
    "traditionally"): no value of it is newer than another, so no newest-wins and no "As of"."""
    return _HABITUAL.search(question) is not None


def can_change(question: str) -> bool:
    """True when a question asks for something that can change over time (a holder, price, forecast ...)."""
    if habitual(question):
        return False
    # Only the sentence that asks counts: "Liz Truss became prime minister. Who does she replace?" asks
    # about an event, whatever its preamble names.
    asked = [x for x in re.split(r"(?<=[.!?])\s+", question.strip()) if x.strip()][-1:] or [question]
    # and what it asks for is near its question word: "Who runs ...", "What does a bag of X cost?", not a
    # word far along it ("... charged with stealing millions of dollars worth of what product?").
    lead = re.match(r"^\W*(?:who|whom|whose|what|which|where|when|how(?:\s+\w+)?)\b(.{0,50})", asked[0], re.IGNORECASE)
    return bool(lead and _CHANGEABLE.search(lead.group(0)))


def day(published: str | None) -> dt.date | None:
    """The day a normalised date means (its first day for a month or a year)."""
    ordinal = date_ordinal(published)
    return dt.date.fromordinal(ordinal) if ordinal else None


def format_day(d: dt.date | None, published: str | None = None) -> str:
    """'4 March 2025' (or 'March 2025' / '2025' for a date known to the month or year only)."""
    if d is None:
        return "an unknown date"
    precision = len((published or d.isoformat()).split("-"))
    month = MONTHS[d.month - 1].capitalize()
    if precision == 1:
        return str(d.year)
    if precision == 2:
        return f"{month} {d.year}"
    return f"{d.day} {month} {d.year}"


def resolve_relative(sentence: str, published: str | None) -> list[tuple[str, dt.date, str]]:
    """Relative dates in a sentence read against its article's publish date: (phrase, day, precision).

    A weekday is the latest such day on or before the publish date ("on Saturday" in Monday's paper is
    two days earlier) unless the sentence speaks of the future ("will"); "last week" is the week before,
    "this year" the publish date's year. Precision is 'day', 'week', 'month' or 'year'.
    """
    base = day(published)
    if base is None or len((published or "").split("-")) < 3:  # a month or a year: no day to count from
        return []
    future = re.search(r"\b(?:will|to be|is due|are due|next)\b", sentence, re.IGNORECASE) is not None
    out: list[tuple[str, dt.date, str]] = []
    for m in _RELATIVE.finditer(sentence):
        phrase = m.group(0)
        if m.group(1) and _EXPLICIT_DAY.match(sentence, m.end()):
            continue  # "on Monday, September 5": the sentence gives the date itself
        if m.group(1):
            target = WEEKDAYS.index(m.group(1).lower())
            delta = (base.weekday() - target) % 7
            when = base - dt.timedelta(days=delta) if not future or delta == 0 else base + dt.timedelta(days=(target - base.weekday()) % 7)
            out.append((phrase, when, "day"))
        elif m.group(2):
            shift = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}[m.group(2).lower()]
            out.append((phrase, base + dt.timedelta(days=shift), "day"))
        elif m.group(3):
            step = {"last": -1, "this": 0, "next": 1}[m.group(3).lower()]
            unit = m.group(4).lower()
            if unit == "week":
                out.append((phrase, base + dt.timedelta(weeks=step), "week"))
            elif unit == "month":
                month = base.month - 1 + step
                out.append((phrase, dt.date(base.year + month // 12, month % 12 + 1, 1), "month"))
            else:
                out.append((phrase, dt.date(base.year + step, 1, 1), "year"))
        else:
            n = int(m.group(5)) if m.group(5).isdigit() else _SMALL[m.group(5).lower()]
            unit = m.group(6).lower()
            if unit == "day":
                out.append((phrase, base - dt.timedelta(days=n), "day"))
            elif unit == "week":
                out.append((phrase, base - dt.timedelta(weeks=n), "week"))
            elif unit == "month":
                month = base.month - 1 - n
                out.append((phrase, dt.date(base.year + month // 12, month % 12 + 1, 1), "month"))
            else:
                out.append((phrase, dt.date(base.year - n, 1, 1), "year"))
    return out


def describe_relative(sentence: str, published: str | None) -> str:
    """'Saturday: 14 June 2025' for the day-precise relative dates of a sentence ('' when none)."""
    parts = []
    for phrase, when, precision in resolve_relative(sentence, published):
        if precision == "day":
            word = re.sub(r"^(?:on|last|this|since|from|until|by)\s+", "", phrase, flags=re.IGNORECASE)
            parts.append(f"{word}: {format_day(when)}")
    return "; ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class Days:
    """The days a question's relative date stands for: `start` to `end`, both included."""

    start: dt.date
    end: dt.date
    current: bool = False  # "this week", "this month": the days up to the day asked (recency prefers them already)

    def holds(self, when: dt.date | None) -> bool:
        """Whether a day is one of them."""
        return when is not None and self.start <= when <= self.end


def question_days(question: str, today: dt.date) -> Days | None:
    """The days a relative date in a question stands for, read against the day it is asked (`today`: the
    as-of date, or today): 'yesterday' asked on 11 June 2026 is 10 June, 'on Monday' the Monday on or
    before, 'two days ago', 'last week' the calendar week before, 'this week' the seven days up to today,
    'last month' that month. None when the question has none, or only a year ('this year')."""
    for phrase, when, precision in resolve_relative(question, today.isoformat()):
        current = phrase.lower().startswith("this")
        if precision == "day":
            return Days(when, when)
        if precision == "week":
            if current:
                return Days(today - dt.timedelta(days=6), today, True)
            start = when - dt.timedelta(days=when.weekday())
            return Days(start, min(start + dt.timedelta(days=6), today))
        if precision == "month":
            after = dt.date(when.year + when.month // 12, when.month % 12 + 1, 1)
            return Days(when, min(after - dt.timedelta(days=1), today), current)
    return None


# Words that ask what happened without saying about what: "What was the big news on Monday?"
_NEWS_WORDS = frozenset(
    """what whats which happened happen happens happening has have had did do does was were is are be been the a an
    in on at of for to from about around there any anything something else news main big biggest top important major
    key latest story stories headline headlines event events occurred occur occurring go going went me us tell give
    summary summarise summarize world s so far new report reported reports""".split()
)


def only_about_a_day(question: str) -> bool:
    """True when a question asks only what happened on a day ('What happened yesterday?', 'What was in the
    news on Monday?', 'Any news from last week?'): a relative day, week or month, and nothing else to search for."""
    relative = list(_RELATIVE.finditer(question))
    if not relative or all("year" in (m.group(4) or m.group(6) or "").lower() for m in relative):
        return False
    rest = _RELATIVE.sub(" ", question.lower())
    return not re.search(r"\d", rest) and all(w in _NEWS_WORDS for w in re.findall(r"[^\W\d_]+", rest))


_DAY_WORDS = re.compile(
    r"\b(?:yesterday|today|tonight|tomorrow)(?:'s|’s)?\b|\b(?:\d+|a|one|two|three|four|five|six|seven)\s+days?\s+ago\b",
    re.IGNORECASE,
)


def without_days(question: str) -> str:
    """A question without its day words ('yesterday', 'today', 'two days ago'): no words to look for in an
    article, where 'yesterday' is the day before the article's own date, not the question's."""
    return " ".join(_DAY_WORDS.sub(" ", question).split())


def event_day(sentence: str, published: str | None) -> dt.date | None:
    """The day a sentence's event happened: its first day-precise relative date, else the publish date."""
    for _, when, precision in resolve_relative(sentence, published):
        if precision == "day":
            return when
    return day(published)


def values(sentence: str, question: str, kind: str) -> dict[str, frozenset[str]]:
    """What a sentence states that a question may ask for, by kind of value.

    Amounts by unit ('pct', 'usd', '' for a bare number: canonical tokens, any spelling); 'year' for
    years; 'name' for capitalised words (not weekdays, months, or words of the question).
    """
    q_numbers = {a.token for a in amounts(question)}
    q_words = {w.lower() for w in re.findall(r"\w+", question)}
    by_unit: dict[str, set[str]] = {}
    text = YEAR.sub("    ", sentence)  # same length: amounts' offsets stay the sentence's
    for a in amounts(text):
        if a.token in q_numbers:
            continue
        # A bare number is a count of what follows it: "63 hot dogs" and "12 titles" are not two
        # values of one thing; "41 new stores" and "14 new stores" are.
        after = re.match(r"\W*([A-Za-z]+)", text[a.end:])
        unit = a.unit or (after.group(1).lower().rstrip("s") if after else "")
        by_unit.setdefault(f"num:{unit}", set()).add(a.token)
    years = {y for y in YEAR.findall(sentence) if y not in question}
    if years:
        by_unit["year"] = years
    names = {
        w.rstrip(".'’") for w in _NAME.findall(sentence)
        if w.lower().rstrip(".'’s") not in q_words and w.lower() not in q_words
        and w.lower() not in WEEKDAYS and w.lower() not in MONTHS and not w[:1].isdigit()
        and w.lower() not in _COMMON
    }
    if names:
        by_unit["name"] = names
    del kind
    return {k: frozenset(v) for k, v in by_unit.items()}


def stated(text: str, question: str, kind: str | None = None) -> frozenset[str]:
    """The values a text states (see `values`), as one set of tokens: only those of the kind a question
    asks for when `kind` is given (names for 'name'/'thing', years for 'year'/'date', amounts for the
    rest), every kind when it is None. A name's possessive is dropped ("Hawaii's" -> "Hawaii")."""
    found = values(text, question, kind or "")
    if kind in ("name", "thing"):
        keys = [k for k in found if k == "name"]
    elif kind in ("year", "date"):
        keys = [k for k in found if k == "year"]
    elif kind is not None:
        keys = [k for k in found if k.startswith("num:")]
    else:
        keys = list(found)
    return frozenset(re.sub(r"['’]s$", "", v) for k in keys for v in found[k])


_COMMON = frozenset(
    """a an the and or but if of at by for with in on to from as it its this that these those there he she they
    we i you his her their our correction update analysts officials regulators some about after before""".split()
)


def conflict(newer: dict[str, frozenset[str]], older: dict[str, frozenset[str]], kind: str) -> bool:
    """True when two sentences about the same thing state different values of the kind asked for.

    Amounts: some unit both state has no value in common. Years (for 'when' questions): no year in
    common. Names (for 'who/which' questions): the newer names someone the older does not.
    """
    if differ_in_amount(newer, older, kind):
        return True
    if kind in ("year", "date") and "year" in newer and "year" in older and not newer["year"] & older["year"]:
        return True
    if kind in ("name", "thing") and "name" in newer and "name" in older:
        return not newer["name"] <= older["name"]
    return False


def differ_in_amount(newer: dict[str, frozenset[str]], older: dict[str, frozenset[str]], kind: str) -> bool:
    """True when two sentences' values (see `values`) give one unit different amounts, for a question
    that does not ask for a name: the one difference that makes two outlets' reports of the same days
    rivals (see `disagree`). Names and years that differ between such reports most often tell two facts
    ("the first American man since 2006", "the first Black American man since 1972") or spell one
    two ways ("the U.K.", "the United Kingdom")."""
    return kind != "name" and any(
        key.startswith("num:") and not (newer[key] & older[key]) for key in newer.keys() & older.keys()
    )


COPY_OVERLAP = 0.8  # the share of their other words two sentences must share to be one sentence (`one_sentence`)


def one_sentence(a: str, b: str) -> bool:
    """True when two sentences are one sentence with other names or numbers in it: their words, names
    and numbers aside, share at least COPY_OVERLAP of the longer's ("Norway came out on top of the
    medal count", "The U.S. came out on top of the medal count")."""
    def rest(text: str) -> set[str]:
        plain = without_amounts(_NAME.sub(" ", text))[0]
        return {w.lower() for w in re.findall(r"\w+", plain)}

    ra, rb = rest(a), rest(b)
    return bool(ra and rb) and len(ra & rb) >= COPY_OVERLAP * max(len(ra), len(rb))


# A word of a written date: a day or year ("18,", "2020", "1st") or a month, in full or short ("Nov.").
_MONTH_WORDS = "|".join(sorted(set(MONTH_FORMS), key=len, reverse=True))
_DATE_WORD = re.compile(rf"^(?:\d{{1,4}}(?:st|nd|rd|th)?|(?:{_MONTH_WORDS})\.?)[,.]?$", re.IGNORECASE)


def told_apart(a: str, b: str, most: int = 8) -> tuple[str, str]:
    """What one sentence says in place of the other's words, where they are one sentence (`one_sentence`):
    ("Damien Chazelle", "Chloé Zhao") from "Damien Chazelle wins Best Director" and "Chloé Zhao wins Best
    Director"; ("", "") when their words differ in more than one place or by more than `most` words."""
    wa, wb = a.split(), b.split()
    changed = [op for op in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(changed) != 1:
        return "", ""
    _, i1, i2, j1, j2 = changed[0]
    if any(_DATE_WORD.match(w) for w in wa[i1:i2] + wb[j1:j2]):
        # A changed part of a date takes the rest of the date with it: "November 18, 2020", not "18".
        while i1 and j1 and wa[i1 - 1] == wb[j1 - 1] and _DATE_WORD.match(wa[i1 - 1]):
            i1, j1 = i1 - 1, j1 - 1
        while i2 < len(wa) and j2 < len(wb) and wa[i2] == wb[j2] and _DATE_WORD.match(wa[i2]):
            i2, j2 = i2 + 1, j2 + 1
    if not (0 < i2 - i1 <= most and 0 < j2 - j1 <= most):
        return "", ""
    def span(words: list[str]) -> str:
        text = " ".join(words).strip(",;:!?\"'“”‘’()")
        last = text.split()[-1] if text else ""
        return text[:-1] if last.endswith(".") and "." not in last[:-1] else text  # "U.S." keeps its dot
    return span(wa[i1:i2]), span(wb[j1:j2])


def disagree(newer: Passage, older: Passage, newer_text: str) -> bool:
    """True when two conflicting passages are rival reports, not versions: different outlets within
    DISAGREE_DAYS of each other, the later one not saying it corrects or revises."""
    a, b = date_ordinal(newer.published), date_ordinal(older.published)
    if a is None or b is None or abs(a - b) > DISAGREE_DAYS:
        return False
    if (newer.source or "").strip().lower() == (older.source or "").strip().lower():
        return False
    return not _CORRECTS.search(newer_text)


# Common news events, each with the ways articles word it: a list question asking for one ("Which
# companies announced layoffs?") gathers the articles reporting it in any of its wordings.
_CONCEPTS = {
    "job cuts": r"lay(?:ing|s)?[- ]?offs?|laid off|job (?:cuts?|losses)|(?:cut|cuts|cutting|shed|sheds|shedding|axe|axes|"
                r"axing|slash\w*|eliminat\w*|trim\w*)\s+(?:\w+\s+){0,2}(?:jobs|roles|positions|staff|workers)|redundanc\w+",
    "hiring": r"\bhir(?:e|es|ed|ing)\b|recruit\w*|new jobs|add(?:s|ed|ing)?\s+(?:\w+\s+){0,2}jobs",
    "acquisition": r"\b(?:acquir\w*|acquisitions?|takeovers?|buy(?:s|ing)?|bought|purchas\w*)\b",
    "recall": r"\brecall\w*",
    "strike": r"\bstrik(?:e|es|ing)\b|walk-?outs?|walked out",
    "closure": r"\bclos(?:e|es|ed|ing|ures?)\b|shut\w*",
    "ban": r"\bban(?:s|ned|ning)?\b|prohibit\w*",
}
# Words that find each wording in a lexical index: a list question's search adds them.
_CONCEPT_WORDS = {
    "job cuts": "layoffs job cuts cut jobs shed jobs cutting jobs redundancies",
    "hiring": "hire hiring recruit jobs",
    "acquisition": "acquire acquisition buy takeover",
    "recall": "recall recalled",
    "strike": "strike walkout",
    "closure": "close closure shut",
    "ban": "ban banned prohibit",
}
_CONCEPT_RES = {name: re.compile(rf"(?:{pattern})", re.IGNORECASE) for name, pattern in _CONCEPTS.items()}
# A sentence saying the thing did not happen does not report it.
_NEGATED = re.compile(
    r"\b(?:reject\w*|refus\w*|den(?:y|ies|ied)|scrap\w*|abandon\w*|call\w* off|vot\w* against|ruled out|"
    r"did not|does not|do not|didn't|won't|will not|no longer|never)\b",
    re.IGNORECASE,
)


def concepts(text: str) -> set[str]:
    """The news events (job cuts, hiring, acquisition, recall ...) a text speaks of, in any wording."""
    return {name for name, rx in _CONCEPT_RES.items() if rx.search(text)}


_EVENT_VERB = re.compile(
    r"^\W*(?:which|what|how\s+many|name\s+the|list\s+the)\s+(?:[\w-]+\s+){0,2}?[\w-]+s\s+(?:that\s+|who\s+)?"
    r"(?:(?:have|has|had|did|will|would|were|are)\s+)?([a-z]\w+)",
    re.IGNORECASE,
)


def event_verb(question: str) -> str | None:
    """The verb naming what a list question's items did: 'opened' in 'Which companies opened new plants?'."""
    m = _EVENT_VERB.search(question)
    verb = m.group(1).lower() if m else None
    # Verbs that report rather than name an event ("announced job cuts", "made acquisitions") name none.
    return None if verb in _GENERIC_VERBS else verb


_GENERIC_VERBS = frozenset(
    "announced announce announces said say says made make makes reported report reports did do does got get gets "
    "had have has took take takes gave give gives saw see sees unveiled unveil unveils".split()
)


def expand(question: str) -> str:
    """A list question with the other wordings of the events it names, for lexical search."""
    extra = " ".join(_CONCEPT_WORDS[c] for c in sorted(concepts(question)))
    return f"{question} {extra}" if extra else question


def negated(sentence: str, question: str) -> bool:
    """True when a sentence says no where the question does not ('rejected a congestion charge')."""
    return bool(_NEGATED.search(sentence)) and not _NEGATED.search(question)
