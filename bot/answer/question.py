"""Question analysis: what a question asks for and the terms it is about.

Shared by both answerers, the prompt and the claim check (bot/answer/extractive.py, prompting.py,
generate.py, check.py), so a question is read the same way wherever it is read:
- `terms`, `content_terms`, `key_terms`, `stem`: the question's words as comparable terms (light
  English stems, numbers as canonical 'num:' tokens from bot/numbers.py);
- `answer_type`, `asks_for_amount`, `asked_for_terms`: the kind of thing asked for ('year', 'date',
  'percent', 'money', 'number', 'name', 'thing') and the phrase naming it;
- `asks_yes_or_no`, `STATEMENT_LEAD`: whether it asks yes or no ("Does ...?", "True or false: ...");
- `asks_either_or`: whether a question shaped for yes or no asks to choose between two ("Is GAC
  privately owned or owned by the state?"), which "Yes" or "No" does not answer;
- `holds_figure`: whether a text holds a figure at all.
News forms (value, list, count, timeline) and dates asked about are read by bot/temporal.py.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.chunking import split_sentences
from bot.numbers import amounts, has_figure, without_amounts
from bot.tokens import fold, words

STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there all any both
    each few more most other some such no nor not only own same so than too very can will just should now
    is are was were be been being have has had having do does did doing would could might must shall may
    i me my we our you your he him his she her it its they them their what which who whom whose this that
    these those am as until while where when why how also said says say according get got make made much
    many one""".split()
)

_QWORDS = frozenset("what which who whom whose when where why how name named kind type".split())
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|trillion|dozen|half|third|quarter|percent)\b|%",
    re.IGNORECASE,
)


def stem(word: str) -> str:
    """A light English stem: case and accents folded, common suffixes off ('talks'/'talking' meet).

    Words of other scripts are only folded (English suffixes are Latin letters); number tokens
    ('num:5:pct') pass unchanged.
    """
    if word.startswith("num:"):
        return word
    w = fold(word).strip(".'’").replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            if suffix in ("ies", "ied"):
                w += "y"
            break
    if len(w) > 4 and w.endswith("e"):  # 'eliminate' and 'eliminating' meet at 'eliminat'
        w = w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Every term of a text: stemmed words, and each number's canonical tokens (with and without unit)."""
    rest, found = without_amounts(text)
    return [stem(w) for w in words(rest)] + [t for a in found for t in a.tokens]


def content_terms(text: str) -> list[str]:
    """Stemmed content words of a text (no stopwords, no question words), numbers as 'num:' tokens."""
    rest, found = without_amounts(text)
    out = []
    for w in words(rest):
        lw = w.lower()
        if lw in STOPWORDS or lw in _QWORDS or (len(lw) < 2 and not lw.isdigit()):
            continue
        out.append(stem(w))
    return out + [a.token for a in found]


_ASKED_FOR = re.compile(r"\b(?i:which|what)\s+((?:[A-Z][\w'’&.-]*\s+)+)[a-z]")


_WH_PHRASE = re.compile(r"\b(?:which|what)\s+((?:[\w'’&.-]+\s*){1,4})", re.IGNORECASE)


def asked_for_terms(question: str) -> set[str]:
    """Stems of the phrase naming what is asked for: 'which wildly popular show was ...' -> show etc."""
    out: set[str] = set()
    for match in _WH_PHRASE.finditer(question):
        for w in words(match.group(1)):
            lw = w.lower()
            if lw in STOPWORDS or (lw.endswith("ed") and len(lw) > 4):
                break
            out.add(stem(w))
    return out


# A company's legal form, which articles mostly leave out of its name.
_LEGAL_FORMS = frozenset("co corp corporation inc incorporated ltd limited plc llc ag sa nv gmbh".split())
# Words many companies' names share ("Hyundai Motor", "SAIC Motor"): they tell no company apart.
SHARED_NAME_WORDS = _LEGAL_FORMS | frozenset("motor motors group holdings company companies bank".split())
# "Chinese", "Britons", "Midwestern": a people's or a region's adjective, which a passage may put otherwise.
DEMONYM = re.compile(r"(?:ese|ish|ian|ians|ean|eans|ans|ern)$")
# Demonyms DEMONYM's endings miss ("a Greek island", "Dutch voters", "millions of Britons"). A question's
# names (bot/answer/asked.py) leave one out where it stands alone, since it qualifies what is asked more
# often than it names what it is about, and keep it inside a longer name ("the French Open").
DEMONYMS = frozenset(
    """Greek Greeks French Dutch Swiss Thai Welsh Scots Czech Czechs Briton Britons Brit Brits Turk Turks
    Swede Swedes Dane Danes Finn Finns Pole Poles Serb Serbs Croat Croats Slovak Slovaks Arab Arabs Afghan
    Afghans Kiwi Kiwis Filipino Filipinos Filipina Pakistani Pakistanis Iraqi Iraqis Israeli Israelis Saudi
    Saudis Qatari Qataris Emirati Emiratis Kuwaiti Yemeni Somali Somalis Bangladeshi Bangladeshis Nepali
    Omani Kurd Kurds Sami Inuit Maori""".split()
)


def key_terms(question: str) -> list[str]:
    """Names and numbers a question is about: capitalised words past the first, and 'num:' tokens.

    Names that describe what is asked for ("which Ivy League school") are not among them: the
    answer names the school instead. A number is its canonical token ('5 percent' -> 'num:5:pct'),
    so any spelling of the same amount meets it.
    """
    asked_for = {stem(w) for m in _ASKED_FOR.finditer(question) for w in words(m.group(1))}
    out: list[str] = []
    for i, w in enumerate(words(question)):
        lw = w.lower()
        if lw in STOPWORDS or lw in _QWORDS or stem(w) in asked_for or any(ch.isdigit() for ch in w):
            continue
        if lw.rstrip(".") in _LEGAL_FORMS:
            continue  # "Xiaomi Corp" is the Xiaomi a passage calls "Xiaomi"
        if (i > 0 and w[:1].isupper()) or (w.isupper() and len(w) > 1):
            out.append(stem(w))
    # A number written in digits or with a unit is a key term; a bare number word is not: "four-bedroom"
    # or "for two years" in a question are description, and a sentence need not repeat them.
    out.extend(a.token for a in amounts(question)
               if a.unit or not question[a.start:a.end].isascii() or any(ch.isdigit() for ch in question[a.start:a.end]))
    return list(dict.fromkeys(out))


AnswerKind = Literal["year", "date", "percent", "money", "number", "name", "thing"]


def answer_type(question: str) -> AnswerKind:
    """The kind of thing asked for: 'year', 'date', 'percent', 'money', 'number', 'name' or 'thing'."""
    q = question.lower()
    if re.search(r"\b(what|which) year\b|\bsince when\b|\bhow long ago\b", q):
        return "year"
    if re.search(r"\bwhen\b|\bwhat (year|date|month|day|time)\b|\b(which|what) (year|month|day|decade)\b|\bhow long ago\b", q):
        return "date"
    if re.search(r"\b(what|which) (percentage|percent|share)\b|\bhow many percent", q):
        return "percent"
    if re.search(r"\bhow much\b.*\b(pay|paid|cost|costs|worth|price|priced|spend|spent|raise|raised|valued|charge|"
                 r"earn|earned|sell for|sold for|invest|invested|fine|fined)\b", q):
        return "money"
    if re.search(
        r"\bhow (many|much|big|large|high|low|fast|far|long|old|tall)\b|"
        r"\bwhat (was |is |were |are )?(the )?(percentage|percent|share|number|amount|price|value|rate|total|size|age|score|cost)\b",
        q,
    ) or _AMOUNT_ASKED.search(q) or _HOW_MANY.search(fold(question)):
        return "number"
    if re.search(
        r"\bwho(m|se)?\b|\bwhere\b|\b(which|what) (company|companies|firm|person|people|country|countries|city|"
        r"cities|brand|team|group|state|states|carmaker|automaker|maker|party|agency|organi[sz]ation|"
        r"nation|president|leader|player|artist|singer|actor|actress|band|film|movie|show|book|song|school|"
        r"university|college|park|airline|network|channel|league|court|museum|newspaper|magazine|website|"
        r"app|platform|region|province|island|river|retailer|bank|club|award|awards|tournament)\b",
        q,
    ) or _ASKED_FOR.search(question):
        return "name"
    return "thing"


# "What was Ravel Outdoor's bicycle revenue?": the noun the question ends on (or that a preposition
# follows) is an amount, so the answer must hold a figure.
_AMOUNT_NOUNS = (
    r"revenues?|sales|turnover|profits?|losses|loss|earnings|income|prices?|costs?|value|valuation|worth|"
    r"budget|salary|salaries|wages?|pay|fines?|fees?|debts?|deficit|spending|investment|funding|dividends?|"
    r"tariffs?|taxe?s?|rent|bonus|compensation|payout|market cap(?:italisation|italization)?|"
    r"population|headcount|workforce|subscribers|turnout|death toll|toll|capacity|output|production|"
    r"growth|inflation|unemployment|rate|score|margin"
)
_AMOUNT_ASKED = re.compile(
    rf"^\W*(?:what|which)\s+(?:is|was|were|are|will be|would be|has been|had been)\s+[^?]*?\b(?:{_AMOUNT_NOUNS})\b"
    r"\s*(?:(?:in|for|of|at|on|during|from|per|by|this|last|next|over|after|before|since|figures?)\b[^?]*)?\?*\s*$"
)
# "How many" in other languages: Chinese, Japanese, Russian, Greek, French, Spanish, Italian, Portuguese,
# German, Dutch, Swedish, Turkish, Hindi, Arabic, Korean; matched against the folded question (no accents).
_HOW_MANY = re.compile(
    r"多少|几[个名位家年次]|いくつ|何人|何個|сколько|\bποσ(?:οι|εσ|ες|α|ο|η|ουσ|ους|ων|ου)\b|\bcombien\b|"
    r"\bcuant[oa]s?\b|\bquant[oiae]s?\b|\bwie viele?\b|\bhoeveel\b|\bhur manga\b|\bkac\b|कितन[ेीा]|(?:^|\s)كم\s|몇"
)



# An auxiliary verb, then a word (its subject may open with a quote: "Does 'The Verge' article ...?").
_AUX = r"(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|should|may|might|must)"
_AUX_ASKS = _AUX + r"\s+(?!you\b)[\"'‘“«(]?\w"
# Opening the question, it asks yes or no whatever follows.
_AUX_START = re.compile(r"^\W*" + _AUX_ASKS, re.I)
# Opening a clause after a comma, it asks yes or no unless a question word after a preposition asks for a
# thing (_WH_INSIDE); with its subject after it (_AUX_SUBJECT: "..., has the explanation changed?") it asks
# whatever follows, while followed by a verb ("X, a conservative, was elected ... of which country?") it states.
_AUX_CLAUSE = re.compile(r"[,;:]\s*" + _AUX_ASKS, re.I)
_AUX_SUBJECT = re.compile(
    r"[,;:]\s*(?i:" + _AUX + r")\s+(?:(?i:the|a|an|this|that|these|those|his|her|its|their|he|she|it|they|"
    r"there|any|both|either|each)\b|[\"'‘“«(]|[A-Z])"
)
# A question opening with a question word asks that, whatever a later clause says: "Who is the player that,
# according to Sporting News, is the top receiver?"
_WH_START = re.compile(r"^\W*(?:who|whom|whose|what|which|where|when|why|how)\b", re.I)
# "True or false: <statement>" asks about the statement.
STATEMENT_LEAD = re.compile(r"^\s*(?:true\s+or\s+false|yes\s+or\s+no)\s*[:,?.\-–—]*\s*", re.I)
# A question word after a preposition asks for that thing even inside a statement-shaped question: "X,
# who died this week, was beaten in the contest by which act?", "... is celebrated for how many days?".
_WH_INSIDE = re.compile(
    r"\b(?:in|of|for|by|with|from|to|at|on|about|into|after|before|during|over|under|against|than|as|"
    r"doing|since|between|among|behind|near|like)\s+(?:what|which|whom|whose|how\s+(?:many|much|long|old|far|often))\b"
    r"|\bwhich\s+(?:of\s+)?(?:the\s+following|these|those)\b",
    re.I,
)


def asks_yes_or_no(question: str) -> bool:
    """Whether a question asks yes or no ("Does ...?", "Is ...?", "True or false: ..."), not who/what/which.

    Only the last sentence asks ("Charlie Kirk was shot this week. Where did it happen?" asks where); in
    a statement-shaped question, a question word after a preposition asks for that thing ("X, a
    conservative, was elected prime minister of which country?"); a question ending with a colon asks to
    complete it ("He was trying to:").
    """
    if STATEMENT_LEAD.match(question):
        return True
    text = question.strip()
    if text.endswith((":", "…", "...")):
        return False
    spans = split_sentences(text)
    last = text[spans[-1][0]:spans[-1][1]] if spans else text
    if _WH_START.match(last):
        return False
    if _AUX_START.match(last) or _AUX_SUBJECT.search(last):
        return True
    return not _WH_INSIDE.search(last) and bool(_AUX_CLAUSE.search(last))


# Two alternatives: a word and its negation ("consistent or inconsistent") or an opposed pair. A second
# question after ", or" is not one: MultiHop-RAG's writers answer "Does X ..., or do they ...?" with
# "Yes" or "No" as often as with a choice.
_OPPOSED = re.compile(
    r"\b(?P<a>\w{3,})\s+or\s+(?:un|in|im|il|ir|non-?|dis)(?P=a)\b|"
    r"\b(?:before\s+or\s+after|after\s+or\s+before|earlier\s+or\s+later|higher\s+or\s+lower|lower\s+or\s+higher|"
    r"increased?\s+or\s+decreased?|rise\s+or\s+fall|more\s+or\s+fewer)\b",
    re.I,
)
# A short question whose last words offer a second alternative: "Is GAC privately owned or owned by the state?".
_SHORT_OR = re.compile(r"\bor\s+(?:\S+\s+){0,4}\S+\s*\?\s*$", re.I)
_SHORT_OR_WORDS = 12


def asks_either_or(question: str) -> bool:
    """Whether a question shaped for yes or no asks to choose between two: "Is GAC privately owned or
    owned by the state?", "... consistent or inconsistent?", "Was X reported before or after Y?".

    A short question (at most 12 words) with "or" among its last six words, or any question offering
    a word and its negation or an opposed pair. "True or false", "yes or no" and "whether or not" ask
    yes or no; a list inside a long question ("... like injuries or roster changes?") does not count.
    """
    if not asks_yes_or_no(question) or STATEMENT_LEAD.match(question):
        return False
    text = re.sub(r"\b(?:or\s+not|whether|true\s+or\s+false|yes\s+or\s+no)\b", " ", question.strip(), flags=re.I)
    spans = split_sentences(text)
    last = text[spans[-1][0]:spans[-1][1]] if spans else text
    if _OPPOSED.search(last):
        return True
    return len(last.split()) <= _SHORT_OR_WORDS and _SHORT_OR.search(last) is not None


def holds_figure(text: str) -> bool:
    """True when a text holds a figure: an amount in any spelling or script, or a number word ('dozen')."""
    return has_figure(text) or bool(_NUMBER.search(text))


def asks_for_amount(question: str) -> bool:
    """True when a question asks for an amount ('how many ...', 'what was X's revenue?', '有多少'...)."""
    return answer_type(question) in ("number", "money", "percent")


_MORE = re.compile(r"\b(?:else|more|other|others|another|besides|again|further)\b", re.IGNORECASE)


def asks_for_more(question: str) -> bool:
    """True when a follow-up asks for something beyond what was said ("What else ...?", "Any other ...?"):
    then sentences already given are passed over even when they hold the follow-up's own words (another
    follow-up may be answered by the same sentence: "When was it founded?" after the one naming it)."""
    return _MORE.search(question) is not None


# The start of a second question joined to the first by "and": ", and why ...", "; and when ...". With no
# comma, a question word after "and" asks a second thing when an auxiliary follows it at once ("Who won
# and what did they say?") or it ends the question ("... and by how much?", "... and when?"). "And who",
# "and which", "and whose" mostly start a relative clause about the same one ("the individual ..., and
# who is also accused ..."): never a second question here.
_WH = r"(?:why|how|what|when|where)"
_AUX = r"(?:is|are|was|were|do|does|did|has|have|had|will|would|could|can|should|might|may)"
_JOINED = re.compile(
    rf"\s*[,;]\s*and\s+(?=(?:by\s+)?{_WH}\b)|\s+and\s+(?=(?:by\s+)?{_WH}\s+{_AUX}\b)"
    rf"|\s+and\s+(?=(?:by\s+)?{_WH}(?:\s+(?:much|many|long|often|far))?\s*\?\s*$)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")


def question_parts(question: str) -> list[str]:
    """The questions a compound question asks, each ending with "?": "Which plant could Xiaomi buy a
    stake in, and why does it matter?" -> ["Which plant could Xiaomi buy a stake in?", "Why does it
    matter?"]; "Who won? By how much?" -> two; any other question -> [question].

    A second part is a question joined by "and" that starts with why, how, what, when or where
    ("..., and why ...", "... and by how much ...", "... and when did it ...") or a second sentence
    ending with "?". Only questions whose every part asks for a value are split: "Was there a change
    ...? Is the reporting consistent?" (MultiHop-RAG asks one verdict of such) stays whole. A part keeps
    its own words only ("it" stays "it"): the answerer reads every part against the same passages.
    """
    text = " ".join(question.split())
    if not text:
        return [question]
    # Whole questions first ("Who won? By how much?"), then "and <question word>" inside each.
    sentences = [text[s:e].strip() for s, e in split_sentences(text)]
    asked = [s for s in sentences if s.endswith("?")]
    pieces = asked if len(asked) >= 2 and len(asked) == len(sentences) else [text]
    parts: list[str] = []
    for piece in pieces:
        masked = _QUOTED.sub(lambda m: "x" * len(m.group(0)), piece)  # no split inside a quoted title
        cuts = [m for m in _JOINED.finditer(masked)]
        start = 0
        for m in cuts:
            parts.append(piece[start:m.start()])
            start = m.end()
        parts.append(piece[start:])
    parts = [_as_question(p) for p in parts if p.strip(" ?,;")]
    if len(parts) < 2 or any(asks_yes_or_no(p) for p in [text, *parts]):
        return [question]
    if any(not content_terms(p) for p in parts[:-1]):  # "What and where is X?": one question about X
        return [question]
    return parts


def _as_question(part: str) -> str:
    part = re.sub(r"^\W*(?:and|also|so)\s+", "", part.strip(), flags=re.IGNORECASE).strip().rstrip("?,;. ")
    return f"{part[:1].upper()}{part[1:]}?"
