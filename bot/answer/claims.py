"""What a claim in an answer says, for the claim check (bot/answer/check.py): its names, numbers,
dates and content words, and whether it contradicts the quote it matches (a negation or an ordinal
the passage does not share, or the quote's own words with one of its numbers changed)."""

from __future__ import annotations

import re

from bot.answer.question import STOPWORDS, stem
from bot.numbers import Amount, amounts, found_rounded, number_tokens, without_amounts
from bot.temporal import MONTHS
from bot.tokens import words

# Capitalised words that are not names (sentence openers, discourse words, titles of address).
_NOT_NAMES = frozenset(
    """according however therefore meanwhile additionally also yes no passage passages article articles
    source sources mr mrs ms dr sir madam i it this that these those there here in on at as after before
    during since while when where who what which why how the a an but and or so if""".split()
)


def claim_numbers(text: str) -> set[str]:
    """Canonical tokens of a text's numbers: '1,200' and '1.2k' -> 'num:1200', '$1.2bn' -> 'num:1200000000:usd'."""
    return set(number_tokens(text))


def claimed_amounts(text: str) -> dict[str, Amount]:
    """A claim's numbers by canonical token (value and unit, if it has one)."""
    return {a.token: a for a in amounts(text)}


def date_words(published: str | None) -> str:
    """Words a date can be written with: '2022-07-15' -> '2022 july 15'."""
    if not published:
        return ""
    parts = published.split("-")
    out = [parts[0]]
    if len(parts) > 1 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        out.append(MONTHS[int(parts[1]) - 1])
    if len(parts) > 2:
        out.append(str(int(parts[2])))
    return " ".join(out)


def claim_names(claim: str) -> list[str]:
    """Capitalised words past the first (and acronyms anywhere): names the claim asserts.

    Amounts are taken out first: the 'USD' of 'USD 1.2bn' is a unit, checked with its number.
    """
    tokens = words(without_amounts(claim)[0])
    out = []
    for i, w in enumerate(tokens):
        bare = w.strip(".'’").replace("’", "'")
        if bare.lower().endswith("'s"):
            bare = bare[:-2]
        if not bare or not bare[0].isupper() or bare.lower() in _NOT_NAMES or any(c.isdigit() for c in bare):
            continue
        if i == 0 and not (bare.isupper() and len(bare) > 1):
            continue
        out.append(bare)
    return out


def claim_content(claim: str) -> list[str]:
    """Stemmed content words of a claim, its numbers as canonical tokens."""
    rest, found = without_amounts(claim)
    out = [stem(w) for w in words(rest) if w.lower() not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return out + [a.token for a in found]


_NEGATION = re.compile(
    r"\b(?:not|never|none|neither|nor|without|cannot|denied|denies|deny|nobody|nothing|nowhere)\b|n't\b"
    r"|\bno\b(?!\.?\s*\d)",
    re.I,
)
# How many content words after a negation it is taken to govern ("did not [respond to a request]"),
# up to the end of its clause.
_NEGATION_SCOPE = 3
_CLAUSE_END = re.compile(r"[,;:.!?()]|\s[-–—]\s|\b(?:but|although|though|while|whereas)\b")
_ORDINAL = (
    r"(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|2nd|3rd|[4-9]th|10th)"
)


def squash(text: str) -> str:
    """Lower-case words only, for word-for-word comparison."""
    return " ".join(re.findall(r"\w+", text.lower()))


def contradiction(claim: str, quote: str) -> str:
    """Why a claim contradicts its best-matching quote despite sharing its words ('' when it does not).

    A negation counts only when one side negates words the other side states: "Chery did not release
    its figures" contradicts "Chery released its figures", but "Balenciaga, which did not respond to a
    request for comment, faced criticism" does not contradict "Balenciaga faced criticism". A claim
    that says nothing but the quote's words with a number of its own in place of the quote's ("Three
    out of China's top five car makers are homegrown" against "Four out of ...") misreads it, even
    when its number is found elsewhere in the passage ("three factories").
    """
    claim_negated, quote_negated = negated_stems(claim), negated_stems(quote)
    if bool(_NEGATION.search(claim)) != bool(_NEGATION.search(quote)) and (
        (quote_negated & stems_of(claim)) - claim_negated or (claim_negated & stems_of(quote)) - quote_negated
    ):
        return "negation differs from the passage"
    claim_lower = claim.lower()
    for match in re.finditer(rf"\b({_ORDINAL})[-\s]+(\w+est|most|biggest|largest)\b", quote, re.I):
        ordinal, superlative = match.group(1).lower(), match.group(2).lower()
        if superlative in claim_lower and ordinal not in claim_lower:
            return f"passage says '{match.group(0)}'"
    claim_values, quote_values = claim_numbers(claim), claim_numbers(quote)
    changed = [t for t in claim_values if not found_rounded(t, quote_values)]
    if changed and quote_values - claim_values:
        words_only = stems_of(without_amounts(claim)[0])
        if words_only and words_only <= stems_of(without_amounts(quote)[0]):
            return f"passage gives another number than {amounts_text(claim, changed)}"
    return ""


def amounts_text(claim: str, tokens: list[str]) -> str:
    """How the claim writes the amounts with these canonical tokens ("Three")."""
    shown = [claim[a.start : a.end] for a in amounts(claim) if a.token in tokens]
    return ", ".join(f"'{s}'" for s in shown) or ", ".join(tokens)


def stems_of(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS}


def negated_stems(text: str) -> set[str]:
    """Stems of the content words a negation governs: up to _NEGATION_SCOPE of them, within its clause."""
    out: set[str] = set()
    for match in _NEGATION.finditer(text):
        clause = _CLAUSE_END.split(text[match.end() :], maxsplit=1)[0]
        scope = [w for w in words(clause) if w.lower() not in STOPWORDS and not _NEGATION.fullmatch(w)]
        out.update(stem(w) for w in scope[:_NEGATION_SCOPE])
    return out
