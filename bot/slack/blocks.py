"""Answers as Slack messages: Block Kit blocks plus fallback text, with article text made inert.

Pure functions, no Slack library: everything an article says is escaped for mrkdwn (`&`, `<`, `>`)
and stripped of invisible/bidi control characters, so no article can ping `<!channel>`, mention a
user or disguise a link. Long answers are split into several sections at sentence or word
boundaries; nothing is dropped without saying so. No block is built over Slack's limits (section and
context text 3,000 characters, 10 elements per context block, 50 blocks): long urls are shortened or
shown as their host, long titles and outlets cut. When Slack refuses a message anyway,
`plain_answer` is the same answer as text only, for messages of any size. `preliminary_text` is the
preliminary answer that opens a streamed message while the model writes.

`plain_question` reads a Slack message as the question it asks: the bot's mention, other people's
mentions around the question ("my colleague @bob asks:", "cc @bob") and greetings are dropped.
`article_prompt` makes a suggested prompt from an article, titled or not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from bot.schema import Answer, Citation

MAX_SECTION_CHARS = 3000  # Slack's limit for a section's text
MAX_CONTEXT_CHARS = 3000  # Slack's limit for a context element's text
MAX_BLOCKS = 50  # Slack's limit per message
MAX_CONTEXT_ELEMENTS = 10  # Slack's limit per context block
MAX_FALLBACK_CHARS = 3000
MAX_TITLE_CHARS = 150
MAX_OUTLET_CHARS = 100
# A link's url counts towards its element's 3,000 characters; article urls with tracking queries
# run to several thousand. Longer ones lose their query, or are shown as their host.
MAX_URL_CHARS = 1000
MAX_PROMPT_TITLE_CHARS = 75
MAX_PROMPT_CHARS = 500
VOTE_UP = "newsbot_vote_up"
VOTE_DOWN = "newsbot_vote_down"
FEEDBACK_BLOCK_ID = "newsbot_feedback"
PRELIMINARY_LABEL = "Preliminary, quoted from the articles:"
PRELIMINARY_NOTE = "The checked answer follows and replaces this."
MAX_PRELIMINARY_CHARS = 2000  # a streamed piece may hold 12,000 characters; a preliminary answer is short
REPHRASE_HINT = (
    "Try rephrasing: name the company, person or place you mean, or add when it happened."
)

# zero-width, bidi embedding/override/isolate marks and other invisible format characters
_INVISIBLE_RE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?\u2026])[\"')\]\u201d\u2019]*\s+|\n+")
_ENTITY_TAIL_RE = re.compile(r"&[a-z]{0,3}$")
_SLACK_TOKEN_RE = re.compile(r"<([^<>]*)>")


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage needs: Block Kit blocks and the top-level fallback text."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    """Make text inert in mrkdwn: escape & < > and drop invisible control characters."""
    text = _INVISIBLE_RE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Split text into pieces of at most `limit` chars at sentence, then word boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = 0
        for match in _SENTENCE_END_RE.finditer(window):
            if match.start() <= limit and match.start() > 0:
                cut = match.start()
        if cut < limit // 2:
            space = max(window.rfind(" "), window.rfind("\n"))
            if space > limit // 4:
                cut = space
        if cut <= 0:
            cut = limit
            tail = _ENTITY_TAIL_RE.search(rest[:cut])
            if tail and tail.start() > 0:  # never split an &amp; / &lt; / &gt; entity
                cut = tail.start()
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def safe_url(url: str | None) -> str | None:
    """An http(s) url fit for `<url|title>`, or None when it could mislead or break the link."""
    if not url:
        return None
    url = _INVISIBLE_RE.sub("", url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    quoted = quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")  # encodes < > | space and quotes
    return quoted.replace("&", "&amp;")  # Slack reads &amp; in a link as &


def link_url(url: str | None, limit: int = MAX_URL_CHARS) -> str | None:
    """`safe_url`, within `limit` characters: a longer url without its query and fragment, or None
    (then the caller shows `url_host`)."""
    safe = safe_url(url)
    if safe is None or len(safe) <= limit:
        return safe
    assert url is not None
    parts = urlsplit(_INVISIBLE_RE.sub("", url).strip())
    short = safe_url(parts._replace(query="", fragment="").geturl())
    return short if short is not None and len(short) <= limit else None


def url_host(url: str | None) -> str | None:
    """The host of an http(s) url, escaped, for a url too long to link."""
    if safe_url(url) is None:
        return None
    assert url is not None
    host = urlsplit(_INVISIBLE_RE.sub("", url).strip()).hostname
    return escape(host[:MAX_OUTLET_CHARS]) if host else None


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def citation_line(citation: Citation) -> str:
    """`*[n]* <url|Label> · Outlet · date`, escaped; the label is plain text when there is no url,
    followed by the host when the url is too long to link. At most MAX_CONTEXT_CHARS - 20."""
    label = escape(_cut(citation.label, MAX_TITLE_CHARS)).replace("|", "\u2223")
    url = link_url(citation.url)
    host = url_host(citation.url) if url is None else None
    parts = [f"<{url}|{label}>" if url else label]
    if host:
        parts.append(host)
    if citation.source:
        parts.append(escape(_cut(citation.source, MAX_OUTLET_CHARS)))
    if citation.published:
        parts.append(escape(_cut(citation.published, 40)))
    line = f"*[{citation.n}]* " + " \u00b7 ".join(parts)
    if len(line) > MAX_CONTEXT_CHARS - 20:  # room for the "*Sources*" prefix
        line = split_text(line, MAX_CONTEXT_CHARS - 22)[0] + " \u2026"
    return line


def plain_source_line(citation: Citation) -> str:
    """`[n] Label · Outlet · date · url` for a text-only message: no link markup, the url bare."""
    parts = [escape(_cut(citation.label, MAX_TITLE_CHARS))]
    if citation.source:
        parts.append(escape(_cut(citation.source, MAX_OUTLET_CHARS)))
    if citation.published:
        parts.append(escape(_cut(citation.published, 40)))
    url = link_url(citation.url)
    if url:
        parts.append(url)
    elif host := url_host(citation.url):
        parts.append(host)
    return f"[{citation.n}] " + " \u00b7 ".join(parts)


def sources_blocks(citations: Sequence[Citation]) -> list[dict[str, Any]]:
    """Context blocks listing the numbered sources (at most 10 elements per block)."""
    lines = [citation_line(c) for c in sorted(citations, key=lambda c: c.n)]
    if not lines:
        return []
    lines[0] = "*Sources*  " + lines[0]
    return [
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": line} for line in lines[i : i + MAX_CONTEXT_ELEMENTS]
            ],
        }
        for i in range(0, len(lines), MAX_CONTEXT_ELEMENTS)
    ]


def feedback_block(answer_id: str) -> dict[str, Any]:
    """The 👍 / 👎 buttons; their value is the answer id the feedback store knows."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK_ID,
        "elements": [
            {
                "type": "button",
                "action_id": VOTE_UP,
                "text": {"type": "plain_text", "text": "\U0001f44d Helpful", "emoji": True},
                "value": answer_id,
            },
            {
                "type": "button",
                "action_id": VOTE_DOWN,
                "text": {"type": "plain_text", "text": "\U0001f44e Not helpful", "emoji": True},
                "value": answer_id,
            },
        ],
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _fallback(text: str) -> str:
    if len(text) <= MAX_FALLBACK_CHARS:
        return text
    return split_text(text, MAX_FALLBACK_CHARS - 2)[0] + " \u2026"


def _asked_line(asked_by: str, question: str) -> str:
    return f"<@{asked_by}> asked: *{split_text(escape(' '.join(question.split())), MAX_CONTEXT_CHARS - 100)[0]}*"


def answer_message(answer: Answer, answer_id: str, *, asked_by: str | None = None) -> SlackMessage:
    """The reply for an answer: question line (for /ask), answer sections, sources, buttons."""
    head: list[dict[str, Any]] = []
    if asked_by is not None:
        head.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _asked_line(asked_by, answer.question)}]})
    body = escape(answer.text)
    if answer.abstained:
        body = f"{body}\n_{REPHRASE_HINT}_"
    tail = ([] if answer.abstained else sources_blocks(answer.citations)) + [feedback_block(answer_id)]
    sections = split_text(body)
    room = MAX_BLOCKS - len(head) - len(tail)
    if len(sections) > room:
        shown = sections[: room - 1]
        hidden = sum(len(s) for s in sections[room - 1 :])
        shown.append(
            f"_\u2026 the answer goes on for about {hidden} more characters that do not fit in one "
            "Slack message; ask a narrower question to see them._"
        )
        sections = shown
    blocks = head + [_section(s) for s in sections] + tail
    return SlackMessage(text=_fallback(body), blocks=blocks)


def plain_answer(answer: Answer, *, asked_by: str | None = None) -> str:
    """The answer as text only (mrkdwn, no blocks), for when Slack refuses its blocks: the question
    line for /ask, the answer, the rephrasing hint or the sources with bare urls."""
    lines = [_asked_line(asked_by, answer.question)] if asked_by is not None else []
    lines.append(escape(answer.text))
    if answer.abstained:
        lines.append(f"_{REPHRASE_HINT}_")
    elif answer.citations:
        lines.append("*Sources*")
        lines.extend(plain_source_line(c) for c in sorted(answer.citations, key=lambda c: c.n))
    return "\n".join(lines)


def preliminary_text(answer: Answer) -> str:
    """The preliminary answer opening a streamed message (markdown), while the model writes: the
    articles being read (the quoted ones with outlet and date) and the answer quoted from them without
    [n] markers, marked as preliminary (nothing quoted when the quote abstains). The final answer
    replaces it."""
    lines = [escape(_cut(answer.reading(), MAX_PRELIMINARY_CHARS))]
    if not answer.abstained and answer.quoted():
        lines.append(f"_{PRELIMINARY_LABEL}_ {escape(_cut(answer.quoted(), MAX_PRELIMINARY_CHARS))}")
    lines.append(f"_{PRELIMINARY_NOTE}_")
    return "\n".join(lines) + "\n\n"  # the model's checked sentences follow in a paragraph of their own


def thread_title(question: str, limit: int = 60) -> str:
    """An assistant thread's title from its first question: plain text, cut at a word within `limit`."""
    text = " ".join(_INVISIBLE_RE.sub("", question).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "\u2026"


def notice_message(text: str) -> SlackMessage:
    """A short message from the bot itself (warnings, hints); `text` is trusted mrkdwn."""
    return SlackMessage(text=text, blocks=[_section(s) for s in split_text(text)][:MAX_BLOCKS])


# Private-use marks standing for mentions while a message is read as a question.
_BOT = "\ue000"  # the bot's own mention
_WHO, _WHO_END = "\ue001", "\ue002"  # someone else's mention (a user or a user group), its label between
_MARK = f"(?:{_BOT}|{_WHO}[^{_WHO_END}]*{_WHO_END})"
_MARK_RE = re.compile(f"{_BOT}|{_WHO}([^{_WHO_END}]*){_WHO_END}")
_BREAK = r"[,.;:!\-\u2013\u2014]"
# words a question (or a request) starts with
_ASKING = (r"(?:who|whom|whose|what|when|where|which|why|how|whether|if|is|are|was|were|do|does|did|can|could|"
           r"will|would|has|have|had|should|shall|may|might|tell|give|list|show|explain|summari[sz]e|name)\b")
_GREETING_RE = re.compile(
    r"(?:hey|hi|hiya|hello|hallo|howdy|yo|greetings|dear|ok(?:ay)?|so|good\s+(?:morning|afternoon|evening|day)|"
    r"morning|bonjour|salut|hola|ciao|thanks|thank\s+you|please)"
    r"(?:\s+(?:there|all|everyone|everybody|folks|team|guys|y'all|bot|newsbot))?"
    rf"(?=\s*(?:{_BREAK}|{_MARK}|$|{_ASKING}))",
    re.I,
)
_LEAD_MENTION_RE = re.compile(rf"{_BOT}|{_MARK}(?=\s*(?:{_BREAK}|{_MARK}|$|{_ASKING}))", re.I)
_LEAD_JUNK_RE = re.compile(rf"^(?:\s|{_BREAK})+")
# "X asks", "my colleague wants to know", "I was wondering": someone else's question being passed on
_SPEECH = (r"(?:asks?|asked|asking|wants?\s+to\s+know|would\s+like\s+to\s+know|'d\s+like\s+to\s+know|"
           r"wonders|wondered|(?:is|was|were|are|am)\s+wondering|(?:is|was|were|are|am)\s+curious)")
_PASSER = rf"(?:{_MARK}|\b(?:i|we|my|our|someone|somebody|colleague|boss|friend|team|he|she|they)\b)"
_COLON_PREAMBLE_RE = re.compile(r"^(?P<pre>[^:?\u2013\u2014]{0,100}?)(?:\s*:|\s+[\u2013\u2014-])\s*(?P<rest>\S.*)$", re.S)
_SPEECH_PREAMBLE_RE = re.compile(
    rf"^(?P<pre>(?:\S+\s+){{0,6}}?){_SPEECH}\s*,?\s*(?:about\s+)?(?P<rest>{_ASKING}.*)$", re.I | re.S)
_TRAIL_RE = re.compile(
    rf"(?:(?:\s|{_BREAK})*(?:\b(?:cc|fyi|thanks|thank\s+you|thx|cheers|please|pls)\b|/cc|{_MARK}))+[\s.!]*$", re.I)


def plain_question(text: str, bot_user_id: str | None = None) -> str:
    """A Slack message's text as the question it asks: links and entities undone; the bot's mention,
    greetings, and other people's mentions around the question ("my colleague @bob asks:", "cc @bob")
    dropped. A mention inside the question stays as `@name` (or `@ID`)."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return f" {_BOT} "
            return f"{_WHO}{label.lstrip('@') or target[1:]}{_WHO_END}"
        if target.startswith("!subteam"):
            return f"{_WHO}{label.lstrip('@')}{_WHO_END}"
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or ""
        return label or target

    text = _SLACK_TOKEN_RE.sub(token, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = " ".join(_INVISIBLE_RE.sub("", text).split())
    while True:  # greetings and mentions before the question
        before = text
        text = _LEAD_JUNK_RE.sub("", text)
        for pattern in (_GREETING_RE, _LEAD_MENTION_RE):
            if found := pattern.match(text):
                text = text[found.end():]
        if text == before:
            break
    colon = _COLON_PREAMBLE_RE.match(text)
    if colon and (re.search(_MARK, colon["pre"]) or re.search(rf"\b(?:{_SPEECH}|question|q|query)\b", colon["pre"], re.I)):
        text = colon["rest"]
    else:
        speech = _SPEECH_PREAMBLE_RE.match(text)
        if speech and re.search(_PASSER, speech["pre"], re.I) and not re.match(_ASKING, speech["pre"], re.I):
            text = speech["rest"]
    stripped = _TRAIL_RE.sub("", text)
    if stripped.strip():
        text = stripped
    text = _MARK_RE.sub(lambda m: f"@{m.group(1)}" if m.group(0) != _BOT else "", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    return " ".join(_LEAD_JUNK_RE.sub("", text).split())


# Capitalised words that are not what an article is about.
_NOT_NAMES = frozenset(
    "i a an the this that these those in on at for after before when while as but and or its his her their our "
    "it he she they we there here mr mrs ms dr according "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)
_CONNECTORS = frozenset(("&", "of", "de", "du", "van", "von", "der", "la", "le"))
_WORD_EDGES = "\"'\u201c\u201d\u2018\u2019()[]{},;:.!?"


def names_in(text: str, limit: int = 2) -> list[str]:
    """Up to `limit` names an article's first sentence gives (runs of capitalised words, with "the"
    when the sentence gives it: "the Federal Reserve"), in the order they appear; names of several
    words first, a lone capitalised first word last."""
    first = _SENTENCE_END_RE.split(" ".join(text.split())[:400], maxsplit=1)[0]
    words = [(raw.strip(_WORD_EDGES), raw[-1:] in ",;:.!?)\"'\u201d\u2019") for raw in first.split()]
    found: dict[str, tuple[int, int]] = {}  # name -> (rank, position)
    run: list[tuple[int, str]] = []

    def flush() -> None:
        while run and run[-1][1].lower() in _CONNECTORS:
            run.pop()
        while run and run[0][1].lower() in _NOT_NAMES:
            run.pop(0)
        if run:
            position = run[0][0]
            rank = 0 if len(run) > 1 else 2 if position == 0 else 1
            the = "the " if position > 0 and words[position - 1][0].lower() == "the" else ""
            found.setdefault(the + " ".join(w for _, w in run), (rank, position))
        run.clear()

    for i, (word, ends) in enumerate(words):
        following = words[i + 1][0] if i + 1 < len(words) else ""
        if word[:1].isupper() or (run and word.lower() in _CONNECTORS and following[:1].isupper()):
            run.append((i, word))
        else:
            flush()
        if ends:
            flush()
    flush()
    best = sorted(found.items(), key=lambda kv: kv[1])[:limit]
    return [name for name, _ in sorted(best, key=lambda kv: kv[1][1])]


def article_prompt(outlet: str | None, title: str | None, text: str | None) -> dict[str, str] | None:
    """A suggested prompt about one article: titled "Latest from OUTLET" (or the article's label), asking
    about its headline, or, for an untitled article, about the names its first sentence gives (about
    its first words when it gives none). None for an article with neither title nor text."""
    outlet = " ".join((outlet or "").split())
    headline = " ".join((title or "").split()).rstrip(".?!")
    if headline:
        label, message = headline, f"What is the news about {headline}?"
    else:
        body = " ".join((text or "").split())
        if not body:
            return None
        label = Citation.first_words(body)
        names = names_in(body)
        about = " and ".join(names) if names else f"\u201c{label.rstrip('.!?;:,' + chr(0x2026))}\u201d"
        message = f"What is the news about {about}?"
    return {"title": _cut(f"Latest from {outlet}" if outlet else label, MAX_PROMPT_TITLE_CHARS),
            "message": _cut(message, MAX_PROMPT_CHARS)}
