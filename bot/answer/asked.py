"""Whether an answer gives what its question asks for, and whether the passages know what it asks about.

Two checks on a generated answer, after the claim check (`bot.answer.check`) has kept its sentences:

- `gives_asked`: a question asking for a date, a year, a percentage, an amount of money or a number is
  answered only by sentences that state one that the question does not already state; a "why"
  question by sentences that give a reason ("because", "due to", "to avoid" ...). "Xiaomi wants to
  mass-produce electric vehicles [1]." is supported by its passage and is no answer to "When does
  Xiaomi want to mass-produce?". Names and other things are not judged here (the claim check holds
  their names to the passages; what a name answers cannot be told by its spelling).
- `asked_sources`: a question asking who reported, described or estimated something ("Which news agency
  reported the talks?", "Whose figures are the shares based on?") is answered by the source the
  article attributes it to ("according to X", "X reported", "reported by X"): the sources attributed in
  the passage sentence that best matches the question. An answer naming none of them ("Tesla's figures"
  where the sentence says "according to EV Volumes") does not give what was asked.
- `unfound_names`: the names a question asks about ("What market share did NIO have ...?") that no
  passage mentions, in its text, title or outlet. When one is missing the passages are about something
  else, and a model reading them would answer about what they do mention: the answer says which name the
  articles lack instead. A name is found when any of its distinctive words is in the passages, spelled
  with its capital (in any case for a one-word name, which may be a capitalised common word), whole or
  opening a longer word ("Hoyle" finds "Lindsay Hoyle", "Fed" the Federal Reserve; "Great Wall Motor" is
  not found by "great" or "Motor"), or an acronym by its initials ("ECB"); titles, months and words such
  as "Group" or "Co" are not distinctive.

Both are deliberately narrow. Measured with the local model on the seed set, the team's RealTime QA
2022 and 2025 pools, MultiHop-RAG and RGB (evals/reports/session14-asked/): every right answer they
turned into an abstention was a name wrongly called missing, and the matching was widened for each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answer.check import strip_markers
from bot.answer.question import DEMONYM, DEMONYMS, answer_type, asks_yes_or_no, content_terms
from bot.chunking import split_sentences
from bot.schema import Passage
from bot.temporal import MONTH_FORMS, WEEKDAYS, YEAR, question_form, stated
from bot.tokens import strip_accents

# Kinds of value whose presence in an answer can be told from its text.
CHECKED_KINDS = ("year", "date", "percent", "money", "number")
# A "why" question asks for a reason: an answer giving none gives way to a quote that does, if any.
REASON = "reason"
_WHY = re.compile(r"^\W*why\b", re.IGNORECASE)
# Words that give a reason or a purpose ("due to difficulties in obtaining a licence", "to stop the rollback").
_CAUSE = re.compile(
    r"\b(?:because|due\s+to|owing\s+to|thanks\s+to|as\s+a\s+result|given|since|so\s+that|in\s+order\s+to|"
    r"reasons?|caused|causing|after|amid|over|for|following|led\s+to|leading\s+to|driven\s+by|prompted|"
    r"aims?\s+to|aimed\s+at|to\s+(?:avoid|stop|prevent|protect|celebrate|mark|help|ensure|respond|address|"
    r"comply|meet|reduce|cut|save|raise|boost|fund|pay))\b",
    re.IGNORECASE,
)

_DATE_WORD = re.compile(
    r"\b(?:" + "|".join(MONTH_FORMS + WEEKDAYS) + r")\b|"
    r"\b(?:yesterday|today|tonight|tomorrow|ago|recently|decades?|century|centuries)\b|"
    r"\b(?:last|next|this|past|previous|coming|same|that|early|late|mid)[\s-]+"
    r"(?:week|weekend|month|year|quarter|season|spring|summer|autumn|fall|winter|night|morning|evening|day)s?\b|"
    r"\b(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:half|quarter)\b|"
    r"\b(?:1[5-9]|20)\d\ds?\b|\b\d{1,2}(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)


def asked_kind(question: str) -> str | None:
    """The kind of value a question asks for, among `CHECKED_KINDS`, `REASON` for a "why" question, or
    None when its answer's kind cannot be told from the answer's text (a name, a thing, yes or no, a
    list or a count of articles)."""
    if not question.strip() or asks_yes_or_no(question) or question_form(question) != "value":
        return None
    if _WHY.match(question):
        return REASON
    kind = answer_type(question)
    return kind if kind in CHECKED_KINDS else None


def gives_asked(text: str, question: str, years: bool = False, sources: Sequence[str] = ()) -> bool:
    """True when `text` (an answer's sentences, markers allowed) states a value of the kind `question`
    asks for that the question does not state itself, or when that kind cannot be told (`asked_kind`).

    With `years`, an amount must come with every year the question states: "$124.2 billion in 2021"
    does not answer "How much was it worth in 2020?". With `sources` (`asked_sources`), a question
    asking for a source is answered only by a text naming one of them.
    """
    kind = asked_kind(question)
    if kind is None:
        return not sources or any(source.lower() in text.lower() for source in sources)
    text = strip_markers(text)
    if kind == REASON:
        return _CAUSE.search(text) is not None
    if years and kind not in ("year", "date") and not set(YEAR.findall(question)) <= set(YEAR.findall(text)):
        return False
    if kind == "date":
        q_words = {w.lower() for w in re.findall(r"\w+", question)}
        return any(
            not set(re.findall(r"\w+", m.group(0).lower())) <= q_words for m in _DATE_WORD.finditer(text)
        )
    return bool(stated(text, question, kind))


# A question asking who reported, described or estimated something: the source, not the actor.
SOURCE = "source"
# What a source is called in such a question ("Which news agency ...?", "Which research firm ...?").
_SOURCE_NOUNS = (r"agency|agencies|outlet|outlets|newspaper|paper|publication|organi[sz]ation|group|firm|institute|"
                 r"institution|body|consultancy|website|network|broadcaster|source|report|study|survey|analysts?|media")
_ASKS_SOURCE = re.compile(
    r"^\W*(?:(?:which|what)\s+(?:[\w-]+\s+){0,2}?(?:" + _SOURCE_NOUNS + r")\b[^?]*?\b(?:reported|reports|described|"
    r"describes|estimated|estimates|published|publishes|cited|cites|stated|claimed|claims|ranked|ranks|forecast|"
    r"forecasts|predicted|predicts|projected|projects|calculated|compiled)\b(?!\s+by\b)"
    r"|whose\s+(?:figures|data|numbers|estimates|statistics|analysis|research|survey|report|calculations?)\b"
    r"|according\s+to\s+(?:whom|which|what)\b"
    r"|who\s+(?:reported|described|estimated|published|compiled|forecast|predicted|projected))",
    re.IGNORECASE,
)
# The question's own words for asking after a source, left out when matching it to a sentence.
_SOURCE_WORDS = re.compile(
    r"\b(?:news|" + _SOURCE_NOUNS + r"|report\w*|describ\w*|estimat\w*|publish\w*|cite[sd]?|stated|claim\w*|"
    r"rank\w*|forecast\w*|predict\w*|project\w*|calculat\w*|compiled|whose|figures|data|numbers|statistics|"
    r"analysis|research|based|according|whom)\b",
    re.IGNORECASE,
)
_NAME = r"((?:the\s+)?[A-Z][\w&'’.-]*(?:\s+(?:of\s+|for\s+|de\s+|the\s+|and\s+)*[A-Z][\w&'’.-]*)*)"
_REPORTS = r"(?:reported|reports|said|says|estimated|estimates|found|finds|described|describes|wrote|writes|stated|claimed|forecast|predicted|projected)"
# What a news sentence attributes its statement to: "according to (figures published by) X", "X reported",
# "..., reported X", "reported by X".
_ATTRIBUTION = (  # the leading words in any case, the name with its capitals
    re.compile(r"\b(?i:according\s+to\s+(?:(?:\w+\s+){0,2}?(?:figures|data|numbers|estimates|statistics|research|"
               r"analysis|report|study|survey|calculations)\s+(?:\w+\s+)?(?:by|from|of)\s+)?)" + _NAME),
    re.compile(_NAME + r"\s+" + _REPORTS + r"\b"),
    re.compile(r"\b" + _REPORTS + r"\s+" + _NAME),
    re.compile(r"\b(?i:(?:reported|published|released|compiled|estimated|described)\s+by\s+)" + _NAME),
)


def asks_source(question: str) -> bool:
    """Whether a question asks who reported, described, estimated or published something ("Which news
    agency reported the talks?", "Whose figures ...?", "According to whom ...?")."""
    return _ASKS_SOURCE.search(question) is not None


def attributed(sentence: str) -> list[str]:
    """The sources a news sentence attributes what it says to, as it names them ("According to the World
    Economic Forum, China's EV market ..." -> ["World Economic Forum"]); [] when it attributes nothing
    to a name (a pronoun, "the report", "the company" is no name)."""
    found: list[str] = []
    for pattern in _ATTRIBUTION:
        for m in pattern.finditer(sentence):
            name = re.sub(r"^the\s+", "", m.group(1), flags=re.IGNORECASE).strip(" .,;:'’")
            name = re.sub(r"(?:['’]s?)$", "", name)
            words = name.split()
            if words and words[0][:1].isupper() and any(w not in _PLAIN and w not in _DATE_NAMES for w in words):
                found.append(name)
    return list(dict.fromkeys(found))


def asked_sources(question: str, passages: Sequence[Passage]) -> list[str]:
    """For a question asking for a source (`asks_source`), the sources attributed in the passage
    sentence(s) that share the most of the question's other content words (at least a third of them,
    and one), leaving out sources the question itself names; [] for any other question, or when no
    attributed sentence matches."""
    best = _best_attributed(question, passages)
    return list(dict.fromkeys(name for *_, names in best for name in names))


def source_sentence(question: str, passages: Sequence[Passage]) -> tuple[int, int, int] | None:
    """Where the sentence `asked_sources` takes its sources from is: (passage index, start, end) of the
    first such sentence in the passages' order; None where `asked_sources` is empty."""
    best = _best_attributed(question, passages)
    return best[0][:3] if best else None


def _best_attributed(question: str, passages: Sequence[Passage]) -> list[tuple[int, int, int, list[str]]]:
    if not asks_source(question):
        return []
    wanted = set(content_terms(_SOURCE_WORDS.sub(" ", question)))
    if not wanted:
        return []
    asked_words = {w.lower() for w in re.findall(r"[\w&.-]+", re.sub(r"['’]s\b", "", question))}
    top, found = 0, []
    for i, p in enumerate(passages):
        for start, end in split_sentences(p.text):
            # A source the question names is not the one it asks for ("Which agency reported Xiaomi's talks?")
            names = [n for n in attributed(p.text[start:end]) if not set(n.lower().split()) <= asked_words]
            if not names:
                continue
            shared = len(wanted & set(content_terms(p.text[start:end])))
            if shared > top:
                top, found = shared, [(i, start, end, names)]
            elif shared == top and shared:
                found.append((i, start, end, names))
    return found if top >= max(1, -(-len(wanted) // 3)) else []


# A run of capitalised words starting a word ("Phone" in "iPhone" is none), "of"/"de"/"the" allowed
# inside ("House of Commons"), and a title's colon ("The Legend of Zelda: Breath of the Wild" is one name).
_GROUP = re.compile(r"(?<![\w'’])[A-Z][\w&'’.-]*(?:(?::\s+|\s+(?:of\s+|de\s+|the\s+)*)[A-Z][\w&'’.-]*)*")
# Capitalised words that name no one: question and function words, titles, and corporate suffixes.
_PLAIN = frozenset(
    """I What Which Who Whom Whose When Where Why How The A An And Or But In On Of For To By At As From With
    Is Are Was Were Did Do Does Has Have Had Will Would Can Could Should This That These Those It Its
    After Before According Former Mr Mrs Ms Dr Sir Dame Lord Lady President Prime Minister Chancellor King
    Queen Prince Princess Pope Chief Secretary Senator Governor Mayor Judge Justice General Actor Actress
    Singer Motor Motors Group Co Corp Corporation Inc Ltd Company Holdings Plc LLC""".split()
)
_DATE_NAMES = frozenset(w.capitalize() for w in MONTH_FORMS + WEEKDAYS)
# Where a sentence of the question ends: its stop, then any closing quote or bracket ("... of Wade.” Apparently").
_SENTENCE_END = re.compile(r"[.?!:][\"”’)\]]*\s*$")


def question_names(question: str) -> list[list[str]]:
    """The names a question asks about, each as its distinctive words: runs of capitalised words that do
    not open a sentence, without titles, months, corporate suffixes, demonyms or two-letter
    abbreviations, which mostly qualify what is asked ("Which US national park ...?") ("Lindsay Hoyle" ->
    ["Lindsay", "Hoyle"]; "Great Wall Motor" -> ["Great", "Wall"])."""
    return [words for _, words in _names(question)]


def _names(question: str) -> list[tuple[str, list[str]]]:
    """`question_names`, each with its words as the question spells them ("House of Commons")."""
    names = []
    for m in _GROUP.finditer(question):
        opens = m.start() == 0 or _SENTENCE_END.search(question[: m.start()]) is not None
        raw = m.group(0).split()
        words = [re.sub(r"['’]s$", "", w.strip(".,;:'’\"”)")).replace(".", "") for w in raw]
        keep = [
            i for i, w in enumerate(words)
            if (i > 0 or not opens) and w[:1].isupper() and w not in _PLAIN and w not in _DATE_NAMES
            and not DEMONYM.search(w) and not (w in DEMONYMS and all(x == w or x in _PLAIN for x in words))
            and not (w.isupper() and len(w) <= 2)
        ]
        if keep:
            shown = " ".join(raw[keep[0] : keep[-1] + 1])
            names.append((re.sub(r"['’]s$", "", shown.strip(".,;:'’\"”)")), [words[i] for i in keep]))
    return names


def unfound_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """The names `question` asks about (`question_names`) that no passage's text, title or outlet
    mentions. A name is mentioned when one of its words is, with its capital (a one-word name in any
    case), whole, without a plural's "s", or opening a longer word ("Fed" in "Federal", "Brit" in
    "British"), accents aside ("Fabergé" in "Faberge"); an all-capitals word also in any case ("NATO"
    in "Nato") or as the initials of a run of capitalised words ("ECB": "European Central Bank", "DOJ":
    "Department of Justice"). Empty when every name is found or the question names none."""
    text = strip_accents(" ".join(f"{p.text} {p.title or ''} {p.source or ''}" for p in passages).replace(".", ""))
    initials: set[str] = set()
    for run in re.findall(r"[A-Z][\w'’&-]*(?:\s+(?:of\s+|for\s+|the\s+)*[A-Z][\w'’&-]*)+", text):
        tokens = run.split()
        capital = [i for i, t in enumerate(tokens) if t[:1].isupper()]
        for a in capital:  # every stretch of the run that starts and ends on a capitalised word
            for b in (i for i in capital if i > a):
                part = tokens[a : b + 1]
                initials.add("".join(t[0] for t in part if t[:1].isupper()))  # "European Union": EU
                initials.add("".join(t[0].upper() for t in part))  # "Department of Justice": DOJ

    def mentioned(word: str, alone: bool) -> bool:
        if word.isupper() and len(word) > 1:
            return word in initials or re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None
        stem = word[:-1] if word.endswith("s") and len(word) > 4 else word  # "Sportsbooks": "sportsbook"
        tail = r"\w*" if len(stem) >= 3 else r"(?:['’]s)?\b"
        # A one-word name may be a capitalised common word ("the Governments section"): any case will do.
        flags = re.IGNORECASE if alone else 0
        return re.search(rf"\b{re.escape(stem)}{tail}", text, flags) is not None

    return [shown for shown, words in _names(question)
            if not any(mentioned(strip_accents(w), len(words) == 1) for w in words)]


def names_phrase(names: Sequence[str]) -> str:
    """'NIO', 'NIO or BYD', 'A, B or C': names joined for a sentence."""
    quoted = list(dict.fromkeys(names))
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
