"""Article pages -> `Article`: the main text and metadata by trafilatura, the feed's title and date
where the page has none, the canonical url (when the page gives one) as the article's id.

A page is prepared as an HTML file is (`readers.prepare_html`: data tables become row sentences,
subscription prompts are dropped), but read differently: the HTTP charset is used, and a page where
trafilatura finds no article is refused with a reason (too few words) instead of falling back to the
whole body text, which would index a paywall or cookie notice as an article.
"""

from __future__ import annotations

import codecs
import re
import urllib.parse
from typing import Any

from bot.errors import FetchError
from bot.readers import clean_text, prepare_html, read_date
from bot.schema import Article, Notice
from bot.sources.feeds import HTML_TYPES, FeedItem, absolute_url
from bot.sources.fetch import Fetched

MIN_WORDS = 40
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}


def decode_page(page: Fetched) -> str:
    """The page as text in its declared charset (the Content-Type header, else <meta>), else UTF-8."""
    declared = page.charset
    if declared is None:
        found = _META_CHARSET.search(page.body[:8192])
        declared = found.group(1).decode("ascii") if found else None
    if declared is not None:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise FetchError(page.url, f"declared charset {declared!r} is unknown") from None
        return page.body.decode(codec, errors="replace")
    return page.body.decode("utf-8", errors="replace")


def page_article(page: Fetched, item: FeedItem | None = None, *, outlet: str | None = None,
                 min_words: int = MIN_WORDS) -> Article:
    """The article a fetched page holds; FetchError('URL: reason') for non-HTML or no article text."""
    return read_page(page, item, outlet=outlet, min_words=min_words)[0]


def read_page(page: Fetched, item: FeedItem | None = None, *, outlet: str | None = None,
              min_words: int = MIN_WORDS) -> tuple[Article, list[Notice]]:
    """The article a fetched page holds and what to say about it (an unreadable date); FetchError
    ('URL: reason') for non-HTML or no article text.

    Its key is the page's canonical url when it gives one, else the url it was listed under.
    Page metadata wins; the listing's title, date and outlet fill what the page lacks; the configured
    `outlet` wins over both.
    """
    if page.content_type and page.content_type not in HTML_TYPES:
        raise FetchError(page.url, f"not an HTML page (Content-Type {page.content_type})")
    html = prepare_html(decode_page(page))  # tables kept as row sentences, subscription prompts out
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
    if words < min_words:
        what = f"only {words} words" if words else "none"
        raise FetchError(page.url, f"no article text ({what}: a paywall, cookie notice or index page?)")
    listed = item or FeedItem(page.url)
    notices: list[Notice] = []
    published = read_date(found.get("date"))[0] or listed.published
    if published is None and listed.date_problem:
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
    return " ".join(clean_text(value).split()) or None
