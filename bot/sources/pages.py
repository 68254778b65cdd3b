"""Article pages -> `Article`: the main text and metadata by trafilatura, the feed's title and date
where the page has none, the canonical url (when the page gives one) as the article's id.

A page is prepared as an HTML file is (`readers.prepare_html`: data tables become row sentences,
subscription prompts are dropped), but read differently: its encoding is decided as browsers do
(`decode_page`), and a page where trafilatura finds no article is refused with a reason (too few
words) instead of falling back to the whole body text, which would index a paywall or cookie notice
as an article.
"""

from __future__ import annotations

import codecs
import re
import urllib.parse
from typing import Any

from bot.errors import FetchError
from bot.readers import clean_text, plain_text, prepare_html, read_date
from bot.schema import Article, Notice
from bot.sources.feeds import HTML_TYPES, FeedItem, absolute_url
from bot.sources.fetch import Fetched

MIN_WORDS = 40
MIN_SUMMARY_WORDS = 5  # a feed summary shorter than this ('Read more…') does not stand in for a page
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]{1,40})["']""")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Browsers (the WHATWG Encoding standard) read these labels as windows-1252; they are also what
# servers send by default, without looking at the page.
_WINDOWS_1252 = frozenset({"iso8859-1", "ascii", "cp1252"})
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}


def decode_page(page: Fetched) -> str:
    """The page as text, its encoding decided as browsers and RFC 7303 do.

    A byte order mark first; then the Content-Type charset, unless it is a server default (ISO-8859-1,
    US-ASCII) or cannot decode the page while the page's own declaration (<meta charset>, the XML
    declaration) can; then that declaration; then UTF-8 when the bytes are UTF-8, else windows-1252.
    ISO-8859-1 and US-ASCII are read as windows-1252, as browsers do. Unknown labels are passed over.
    """
    body = page.body
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    header = _codec(page.charset)
    declared = _declared(body)
    if header is not None:
        liar = (declared is not None and declared != header and _decodes(body, declared)
                and (header == "cp1252" or not _decodes(body, header)))
        codec = declared if liar and declared is not None else header
    elif declared is not None:
        codec = declared
    else:
        codec = "utf-8" if _decodes(body, "utf-8") else "cp1252"
    return body.decode(codec, errors="replace")


def _declared(body: bytes) -> str | None:
    """The encoding the document declares in its XML declaration or <meta> (UTF-16 there means UTF-8)."""
    head = body[:8192]
    found = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    codec = _codec(found.group(1).decode("ascii")) if found else None
    # A page read this far as ASCII cannot be UTF-16 (HTML's rule for a <meta> that says it is).
    return "utf-8" if codec is not None and codec.startswith("utf-16") else codec


def _codec(label: str | None) -> str | None:
    """Python's codec for a charset label (ISO-8859-1 and US-ASCII as windows-1252), None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _WINDOWS_1252 else name


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def page_article(page: Fetched, item: FeedItem | None = None, *, outlet: str | None = None,
                 min_words: int = MIN_WORDS) -> Article:
    """The article a fetched page holds; FetchError('URL: reason') for non-HTML or no article text."""
    return read_page(page, item, outlet=outlet, min_words=min_words)[0]


def read_page(page: Fetched, item: FeedItem | None = None, *, outlet: str | None = None,
              min_words: int = MIN_WORDS) -> tuple[Article, list[Notice]]:
    """The article a fetched page holds and what to say about it (an unreadable date, the feed's
    summary used); FetchError('URL: reason') for non-HTML or no article text.

    A page with fewer than `min_words` words of article text (a short brief, a paywall) is read
    when the listing has a summary of MIN_SUMMARY_WORDS words or more, with the longer of the two as
    its text; a notice says which.
    Its key is the page's canonical url when it gives one, else the url it was listed under.
    Page metadata wins; the listing's title, date and outlet fill what the page lacks; the configured
    `outlet` wins over both.
    """
    if page.content_type and page.content_type not in HTML_TYPES:
        raise FetchError(page.url, f"not an HTML page (Content-Type {page.content_type})")
    # tables kept as row sentences, subscription prompts out; an ambiguous declared date found in the same parse
    html, unsure = prepare_html(decode_page(page))
    import trafilatura  # heavy: loaded only when a page is met

    try:
        doc = trafilatura.bare_extraction(
            html, include_comments=False, include_tables=False,
            favor_precision=True, with_metadata=True, date_extraction_params=_DATE_PARAMS)
    except Exception as exc:  # hostile markup must not stop a sync: the page is reported instead
        raise FetchError(page.url, f"article extraction failed ({type(exc).__name__})") from exc
    found: dict[str, Any] = {} if doc is None else doc if isinstance(doc, dict) else doc.as_dict()
    text = clean_text(found.get("text") or "")
    words = len(text.split())
    listed = item or FeedItem(page.url)
    notices: list[Notice] = []
    if words < min_words:
        summary = clean_text(listed.summary or "")
        if len(summary.split()) < MIN_SUMMARY_WORDS:
            what = f"only {words} words" if words else "none"
            raise FetchError(page.url, f"no article text ({what}: a paywall, cookie notice or index page?)")
        # A short brief (or a paywall's teaser) that the feed vouches for: the longer text is the article.
        said = len(summary.split())
        if said > words:
            text, why = summary, f"indexed the feed's summary ({said} words) instead"
        else:
            why = f"indexed it, as the feed has a summary for it (of {said} words)"
        notices.append(Notice(listed.url, f"the page has only {words} words of article text: {why}"))
    # trafilatura reads an ambiguous declared date (03/04/2025) day first: the one date policy does not guess.
    published = (None if unsure else read_date(found.get("date"))[0]) or listed.published
    if published is None and unsure:
        notices.append(Notice(listed.url, f"the page's date: {read_date(unsure)[1]}"))
    elif published is None and listed.date_problem:
        notices.append(Notice(listed.url, listed.date_problem))
    article = Article(
        text=text,
        title=_one_line(found.get("title")) or listed.title,
        source=outlet or _one_line(found.get("sitename")) or listed.outlet or _host(page.url),
        author=_one_line(found.get("author")),
        published=published,
        url=absolute_url(found.get("url"), page.url) or listed.url,  # the canonical url
    )
    return article, notices



def _host(url: str) -> str | None:
    host = urllib.parse.urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def _one_line(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return plain_text(value) or None
