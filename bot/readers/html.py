"""HTML files and fetched pages: main text by trafilatura, data tables as row sentences,
subscription prompts dropped (`prepare_html`, shared with live sources)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.readers.dates import read_date
from bot.readers.encoding import _decode_html
from bot.readers.fields import _body_text, _metadata, clean_text
from bot.schema import Article, Notice, Skipped

# Only dates the page declares (meta tags, url, time elements): an "extensive" search would take a
# date mentioned in the article's text for its publication date.
_HTML_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}


def _parse_html(data: bytes, name: str) -> Iterator[Article | Skipped]:
    """An HTML page: main text by trafilatura (lxml body text when it finds none), page metadata.

    Before extraction, data tables become one sentence per row (trafilatura would drop them, and
    a figure in a table is news) and subscription prompts are dropped (they are not news).
    """
    html = _decode_html(data, name)
    if isinstance(html, Skipped):
        yield html
        return
    import trafilatura  # heavy: loaded only when an HTML file is met

    root = _html_tree(html)
    if root is not None:
        html = _prepared(root)
    try:
        doc = trafilatura.bare_extraction(
            html, include_comments=False, include_tables=False, favor_recall=True,
            with_metadata=True, date_extraction_params=_HTML_DATE_PARAMS)
        found = {} if doc is None else doc if isinstance(doc, dict) else doc.as_dict()
    except Exception:  # hostile markup must never stop an ingest: the lxml fallback gets a try
        found = {}
    body = clean_text(found.get("text") or "")
    if not body and root is not None:
        body = clean_text(_body_text(root))
    if not body:
        yield Skipped(name, "no article text found in the HTML")
        return
    # trafilatura reads an ambiguous declared date (03/04/2025) day first: the one date policy does not guess.
    unsure = _ambiguous(root) if root is not None else None
    meta = {"title": found.get("title"), "source": found.get("sitename"),
            "author": found.get("author"), "published": unsure or found.get("date"), "url": found.get("url")}
    problems: list[str] = []
    yield Article(text=body, path=name, **_metadata(meta, problems))
    yield from (Notice(name, p) for p in problems)


# The page's own declarations of its date, as trafilatura's date finder (htmldate) reads them without
# an extensive search: meta tags, <time datetime> and JSON-LD's datePublished.
_DATE_KEYS = re.compile(r"date|publish|pubdate|created|time", re.I)
_NOT_PUBLISHED = re.compile(r"modif|updat|expir|refresh", re.I)
_JSONLD_DATE = re.compile(r'"date(?:Published|Created)"\s*:\s*"([^"]{4,40})"')


def declared_dates(root: Any) -> list[str]:
    """The dates a page declares for itself (meta tags naming a date, `<time datetime>`, JSON-LD
    `datePublished`), as written, in document order; a page's lxml tree in (see `prepare_html`)."""
    found: list[str] = []
    for el in root.iter("meta", "time", "script"):
        if el.tag == "meta":
            key = el.get("property") or el.get("name") or el.get("itemprop") or ""
            value = el.get("content")
            if value and _DATE_KEYS.search(key) and not _NOT_PUBLISHED.search(key):
                found.append(value.strip())
        elif el.tag == "time":
            value = el.get("datetime")
            if value:
                found.append(value.strip())
        elif (el.get("type") or "").lower() == "application/ld+json" and el.text:
            found.extend(m.group(1).strip() for m in _JSONLD_DATE.finditer(el.text))
    return found


def _ambiguous(root: Any) -> str | None:
    """A page's declared date when it leaves day and month open (03/04/2025) and no other declared
    date reads unambiguously; None otherwise. trafilatura would read it day first: the caller reads it
    with `read_date` instead, which reports it (the one date policy of files, records, feeds and pages)."""
    unsure: str | None = None
    for value in declared_dates(root):
        day, why = read_date(value)
        if day is not None:
            return None
        if unsure is None and why is not None and "either way round" in why:
            unsure = value
    return unsure


def prepare_html(html: str) -> tuple[str, str | None]:
    """HTML made ready for main-text extraction (data tables as one sentence per row, subscription
    prompts dropped; the same for files and fetched pages) and, from the same parse, its declared date
    when that leaves day and month open (see `_ambiguous`; None otherwise). Unparseable HTML is
    returned unchanged, with None."""
    root = _html_tree(html)
    if root is None:
        return html, None
    unsure = _ambiguous(root)
    return _prepared(root), unsure


def _prepared(root: Any) -> str:
    _drop_prompts(root)
    _tables_as_sentences(root)
    return _serialize(root)


def _html_tree(html: str) -> Any:
    """The page as an lxml tree (comments and processing instructions left out), or None."""
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (lxml.etree.LxmlError, ValueError):
        return None


def _serialize(root: Any) -> str:
    import lxml.html

    return str(lxml.html.tostring(root, encoding="unicode"))


# Subscription and paywall prompts: what they ask of the reader, not words that news may also use
# ("subscriptions rose 10% a month" is news; "subscribe to keep reading" is not).
_PROMPT = re.compile(
    r"\bsubscribe\b[^.!?\n]{0,40}\b(?:keep|continue|start|finish)\s+reading"
    r"|\b(?:to\s+)?(?:continue|keep)\s+reading\b[^.!?\n]{0,40}\b(?:subscri|sign\s*(?:in|up)|log\s*in|regist|account|member)"
    r"|\b(?:sign|log)\s*(?:in|up)\b[^.!?\n]{0,40}\b(?:keep|continue|finish)\s+reading"
    r"|\b(?:get|unlock|enjoy|gain|start)\s+(?:\w+\s+){0,2}unlimited\s+(?:digital\s+)?access"
    r"|\balready\s+(?:a\s+)?(?:subscriber|member)\b"
    r"|\b(?:subscribers?|members?)[- ]only\b"
    r"|\b(?:this|the\s+rest\s+of\s+this)\s+(?:article|story|content|piece)\s+is\s+(?:only\s+)?"
    r"(?:available\s+|reserved\s+|exclusive(?:ly)?\s+)?(?:to|for)\s+(?:our\s+)?(?:paying\s+)?(?:subscribers|members)"
    r"|\bstart\s+your\s+(?:free\s+)?trial\b"
    r"|\bfor\s+(?:just|only)\s+\S{0,3}\s?\d+(?:[.,]\d+)?\s?(?:pounds?|dollars?|euros?|p|pence|cents?)?\s+"
    r"(?:a|per|each)\s+(?:week|month|year)\b",
    re.I)
_PROMPT_BLOCKS = ("p", "div", "section", "aside", "li", "span", "h2", "h3", "h4", "h5", "h6",
                  "blockquote", "form", "figure", "footer", "header")
_PROMPT_MAX_CHARS = 400  # a block longer than this is an article that mentions subscriptions
_PROMPT_REST_CHARS = 100  # a prompt box may hold this much other text ("Cancel anytime.")


def _drop_prompts(root: Any) -> None:
    """Drop subscription/paywall prompt boxes (short blocks that ask the reader to subscribe)."""
    dropped: list[Any] = []
    for element in root.iter(*_PROMPT_BLOCKS):  # outer blocks first: a whole box goes at once
        if any(_is_within(element, d) for d in dropped):
            continue
        text = " ".join(str(element.text_content()).split())
        if len(text) > _PROMPT_MAX_CHARS or not _PROMPT.search(text):
            continue
        if _non_prompt_chars(element, text) > _PROMPT_REST_CHARS:
            continue  # news beside the prompt: only the prompt's own block goes, met further in
        dropped.append(element)
    for element in dropped:
        element.drop_tree()


def _non_prompt_chars(element: Any, text: str) -> int:
    """How much of an element's text lies outside its innermost blocks that are prompts."""
    leaves = [" ".join(str(c.text_content()).split()) for c in element.iterdescendants(*_PROMPT_BLOCKS)
              if next(c.iterdescendants(*_PROMPT_BLOCKS), None) is None]
    if not leaves:
        return 0  # the element is the prompt's own block
    return len(text) - sum(len(t) + 1 for t in leaves if _PROMPT.search(t))


def _is_within(element: Any, ancestor: Any) -> bool:
    return any(a is ancestor for a in element.iterancestors())


_CELL_MAX_CHARS = 300  # a cell longer than this holds prose: the table is page layout, not data


def _tables_as_sentences(root: Any) -> None:
    """Replace each data table by one paragraph per row: 'Label — Header: value; Header: value.'"""
    import lxml.html

    for table in reversed(list(root.iter("table"))):  # innermost first
        if next(table.iterdescendants("table"), None) is not None:
            continue  # a table holding tables lays out a page
        rows: list[list[str]] = []
        header: list[str] = []
        for tr in table.iterdescendants("tr"):
            cells = [c for c in tr if c.tag in ("td", "th")]
            texts = [" ".join(str(c.text_content()).split()) for c in cells]
            if any(len(t) > _CELL_MAX_CHARS for t in texts):
                rows = []
                break
            if not any(texts):
                continue
            in_head = tr.getparent() is not None and tr.getparent().tag == "thead"
            if not header and not rows and (in_head or all(c.tag == "th" for c in cells)):
                header = texts
                continue
            rows.append(texts)
        if not rows:
            continue
        box = lxml.html.Element("div")
        caption = table.find("caption")
        if caption is not None and " ".join(str(caption.text_content()).split()):
            para = lxml.html.Element("p")
            para.text = _sentence(" ".join(str(caption.text_content()).split()))
            box.append(para)
        for texts in rows:
            para = lxml.html.Element("p")
            para.text = _row_sentence(header, texts)
            box.append(para)
        box.tail = table.tail
        parent = table.getparent()
        if parent is not None:
            parent.replace(table, box)


def _row_sentence(header: list[str], cells: list[str]) -> str:
    """'Bicycles — Revenue: 31.7 million euros; Change: -9%.' (no header: 'Bicycles: 31.7 ...; -9%.')"""
    label, values = cells[0], cells[1:]
    if header and len(header) == len(cells):
        pairs = [f"{h}: {v}" if h else v for h, v in zip(header[1:], values) if v]
        if not label:
            return _sentence("; ".join(pairs))
        return _sentence(f"{label} — {'; '.join(pairs)}" if pairs else label)
    values = [v for v in values if v]
    if not label:
        return _sentence("; ".join(values))
    return _sentence(f"{label}: {'; '.join(values)}" if values else label)


def _sentence(text: str) -> str:
    return text if text[-1:] in ".!?:" else text + "."
