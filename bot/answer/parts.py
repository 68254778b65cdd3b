"""A compound question's every part answered: "Which plant could Xiaomi buy a stake in, and why does it
matter?" gets the plant and the reason, not the plant alone.

`bot.answer.question.question_parts` splits the question; an answer (the model's checked sentences, or
a quote) is read part by part (`answered`), and each part it leaves unanswered is answered by a quote
from the same passages (the extractive answerer asked that part, the other parts given as context),
appended with its citations renumbered after the answer's own (`merge`). A part no passage answers is
left out, and said so in the answer's `check.parts`. Nothing is asked of a model a second time: a
part costs a quote's few milliseconds, not another prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.answer.asked import asked_kind, gives_asked
from bot.answer.base import Answerer
from bot.answer.prompting import inert
from bot.answer.question import STOPWORDS, content_terms
from bot.schema import Hit, Query, Reply

_MARKER = re.compile(r"\[(\d+)\]")
# Words of a question that say what kind of answer it wants, not what it is about.
_ASKING = frozenset("why how what when where who which whose whom much many".split()) | STOPWORDS


def answered(part: str, text: str, others: Sequence[str]) -> bool:
    """Whether `text` (an answer, markers allowed) answers `part` of a compound question.

    A part asking for a date, an amount or a reason needs one stated (`bot.answer.asked.gives_asked`);
    any other part needs one of the words only it asks about ("plant" in "Which plant ...?"), when it
    has any ("What did they say?" has none, and is taken as answered).
    """
    if asked_kind(part) is not None:
        return gives_asked(text, part)
    others_terms = {t for o in others for t in content_terms(o)}
    own = [t for t in content_terms(part) if t not in others_terms and t not in _ASKING]
    return not own or bool(set(own) & set(content_terms(text)))


def merge(first: Reply, second: Reply) -> Reply:
    """`first` with `second`'s text after it, `second`'s markers renumbered after `first`'s citations (a
    passage both cite keeps `first`'s number). Shapes: citations of first, then second's new ones."""
    citations = list(first.citations)
    number: dict[int, int] = {}
    for c in second.citations:
        same = next((d for d in citations if d.chunk_id == c.chunk_id and d.quote == c.quote), None)
        if same is None:
            same = replace(c, n=len(citations) + 1)
            citations.append(same)
        number[c.n] = same.n
    text = _MARKER.sub(lambda m: f"[{number.get(int(m.group(1)), int(m.group(1)))}]", second.text)
    return replace(first, text=f"{first.text} {text}", citations=citations)


def complete_parts(reply: Reply, query: Query, parts: Sequence[str], hits: Sequence[Hit],
                   quote: Answerer) -> tuple[Reply, str]:
    """`reply` with a quote for each part of a compound question it leaves unanswered, and the text
    appended ("" when nothing was). `quote` answers one part (the extractive answerer, which abstains
    when no passage supports an answer): asked the part alone, the other parts carried as context. Its
    quote is added unless the reply already says it word for word ("situated in Anhui" answers "Where
    is it based?"), or the part asks for a date, an amount or a reason the quote does not state.
    `reply.check["parts"]` records each part and what answered it: "answer", "quote" or "none".
    """
    if len(parts) < 2 or reply.abstained:
        return reply, ""
    record = []
    added = []
    for i, part in enumerate(parts):
        others = [p for j, p in enumerate(parts) if j != i]
        if answered(part, reply.text, others):
            record.append({"part": part, "answered_by": "answer"})
            continue
        found = quote.answer(replace(query, text=part, question=part, carried=(*query.carried, *others)), hits)
        said = " ".join(reply.text.split()).lower()  # "As of ..., according to ..." holds "According to ..."
        if not found.abstained and found.citations and all(" ".join(c.quote.split()).lower() in said for c in found.citations):
            # The passages' best answer to this part is a sentence the reply already gives word for word.
            record.append({"part": part, "answered_by": "answer"})
            continue
        if found.abstained or not gives_asked(found.text, part):  # True for a part of no checked kind
            record.append({"part": part, "answered_by": "none"})
            continue
        before = len(reply.text)
        # A quote of outside text: no working mention or disguised link (bot/answer/prompting.py `inert`).
        reply = merge(reply, replace(found, text=inert(" ".join(found.text.split()))))
        added.append(reply.text[before:].strip())
        record.append({"part": part, "answered_by": "quote"})
    reply = replace(reply, check={**(reply.check or {}), "parts": record})
    return reply, " ".join(added)
