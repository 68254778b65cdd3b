"""Feeds and sitemaps -> items (article urls with the feed's own title, date and text).

RSS 2.0 and Atom are parsed by feedparser, JSON Feed 1.0/1.1 by the json module; sitemaps, sitemap
indexes and Google News sitemaps (`<news:news>` with its title and publication date) by lxml. Links
resolve against where the listing was found after redirects; titles and outlets are plain text; dates
are read as written by the readers' one date reading (`readers.read_date`). `kind_of` tells the three
kinds and an article page apart by content type and first bytes, for sources whose kind is not
configured.
"""

from __future__ import annotations

import io
import json
import urllib.parse
import xml.sax
from dataclasses import dataclass

import feedparser
import lxml.etree  # type: ignore[import-untyped]

from bot.errors import FetchError
from bot.readers import clean_text, html_text, plain_text, read_date

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
JSON_FEED_TYPES = ("application/feed+json", "application/json")
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
XML_TYPES = ("application/xml", "text/xml")
HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF = 2048


@dataclass(frozen=True)
class FeedItem:
    """An article url listed by a feed or sitemap, with whatever the listing says about it."""

    url: str
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    date_problem: str | None = None  # 'pubDate in FEED: cannot read "..."', when its date could not be read
    summary: str | None = None  # the feed's own text for it (its content, else its summary), as plain text


@dataclass(frozen=True)
class Listing:
    """What a feed or sitemap lists: article items, and (sitemap indexes) further sitemaps."""

    items: list[FeedItem]
    sitemaps: list[str]


def kind_of(content_type: str, body: bytes) -> str:
    """'feed', 'sitemap' or 'page' from a response's content type and first bytes."""
    head = body[:_SNIFF].lstrip().lower()
    if content_type in FEED_TYPES or content_type in JSON_FEED_TYPES or _is_json_feed(body):
        return "feed"
    if content_type in HTML_TYPES or head.startswith((b"<!doctype html", b"<html")):
        return "page"
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    if content_type in XML_TYPES:
        return "feed"
    return "page"


def parse_feed(body: bytes, url: str, *, content_type: str = "", base: str | None = None) -> Listing:
    """Items of an RSS, Atom or JSON Feed; FetchError('URL: reason') when it is HTML or not a feed.

    Relative links resolve against `xml:base`, else `base`: the url the feed was found at after
    redirects (default: `url`).
    """
    if content_type in JSON_FEED_TYPES or _is_json_feed(body):
        return parse_json_feed(body, url, base=base)
    head = body[:_SNIFF].lstrip().lower()
    if content_type in HTML_TYPES or head.startswith((b"<!doctype html", b"<html")):
        raise FetchError(url, f"expected a feed, got an HTML page ({content_type or 'no content type'})")
    # A stream, never bytes or str: feedparser would open a local file or URL that the body names.
    # feedparser resolves relative links against xml:base and the content-location given here.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={
        "content-location": base or url, "content-type": content_type or "application/xml"})
    version = str(parsed.get("version") or "")
    if not version or not version.startswith(("rss", "atom", "cdf")):
        exc = parsed.get("bozo_exception")
        why = f"not RSS or Atom ({_first_line(exc)})" if exc is not None else "not RSS or Atom"
        raise FetchError(url, why)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXException) or (parsed.get("bozo") and not parsed.entries):
        # Not well-formed XML: feedparser's lenient fallback may return half a feed; refuse it whole.
        raise FetchError(url, f"malformed feed XML: {_first_line(problem)}")
    outlet = _text(parsed.feed.get("title"))
    items: list[FeedItem] = []
    for entry in parsed.entries:
        link = _link(entry, base or url)
        if link is None:
            continue
        published, problem = _entry_date(entry, version, url)
        items.append(FeedItem(link, _text(entry.get("title")), published, outlet, problem, _entry_summary(entry)))
    return Listing(items, [])


def parse_json_feed(body: bytes, url: str, *, base: str | None = None) -> Listing:
    """Items of a JSON Feed (https://jsonfeed.org, version 1.0 or 1.1); FetchError('URL: reason').

    An item's page is its `url`, else its `external_url`, else its `id` when that is an http(s) url.
    """
    try:
        data = json.loads(body.decode("utf-8-sig"))  # JSON is UTF-8 (RFC 8259)
    except UnicodeDecodeError as exc:
        raise FetchError(url, f"malformed JSON Feed: not UTF-8 (byte offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FetchError(url, f"malformed JSON Feed: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise FetchError(url, f"malformed JSON Feed: {_first_line(exc)}") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION):
        raise FetchError(url, f'not a JSON Feed (no "version": "{JSON_FEED_VERSION}1.1")')
    entries = data.get("items")
    if not isinstance(entries, list):
        raise FetchError(url, 'not a JSON Feed (no "items" list)')
    outlet = _text(data.get("title"))
    items: list[FeedItem] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        ident = entry.get("id")
        link = (absolute_url(entry.get("url"), base or url) or absolute_url(entry.get("external_url"), base or url)
                or (absolute_url(ident, url) if isinstance(ident, str) and ident.startswith(("http://", "https://"))
                    else None))
        if link is None:
            continue
        field = "date_published" if entry.get("date_published") else "date_modified"
        published, problem = _date(entry.get(field), field, url)
        summary = (_summary(entry.get("content_text"), html=False) or _summary(entry.get("content_html"), html=True)
                   or _summary(entry.get("summary"), html=False))
        items.append(FeedItem(link, _text(entry.get("title")), published, outlet, problem, summary))
    return Listing(items, [])


def _is_json_feed(body: bytes) -> bool:
    """Whether a body starts like a JSON Feed (an object naming the jsonfeed.org version)."""
    head = body[:_SNIFF].removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and JSON_FEED_VERSION.encode() in head


def parse_sitemap(body: bytes, url: str, *, base: str | None = None) -> Listing:
    """Items of a sitemap (with Google News titles and dates), or the sitemaps a sitemap index lists.

    Relative locations resolve against `base`: the url it was found at after redirects (default: `url`).
    """
    base = base or url
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise FetchError(url, f"malformed sitemap XML: {exc}") from None
    tag = lxml.etree.QName(root).localname
    if tag == "sitemapindex":
        locs = [_loc(s, base) for s in root.iter(f"{{{SITEMAP_NS}}}sitemap", "sitemap")]
        return Listing([], [x for x in locs if x])
    if tag != "urlset":
        raise FetchError(url, f"not a sitemap (root element <{tag}>)")
    items: list[FeedItem] = []
    for node in root.iter(f"{{{SITEMAP_NS}}}url", "url"):
        loc = _loc(node, base)
        if loc is None:
            continue
        news = node.find(f"{{{NEWS_NS}}}news")
        title = published = outlet = problem = None
        if news is not None:
            title = _text(news.findtext(f"{{{NEWS_NS}}}title"))
            published, problem = _date(news.findtext(f"{{{NEWS_NS}}}publication_date"), "news:publication_date", url)
            outlet = _text(news.findtext(f"{{{NEWS_NS}}}publication/{{{NEWS_NS}}}name"))
        if published is None:
            published, lastmod_problem = _date(node.findtext(f"{{{SITEMAP_NS}}}lastmod"), "lastmod", url)
            problem = problem or lastmod_problem
        items.append(FeedItem(loc, title, published, outlet, problem))
    return Listing(items, [])


def _loc(node: lxml.etree._Element, base: str) -> str | None:
    text = node.findtext(f"{{{SITEMAP_NS}}}loc") or node.findtext("loc")
    return absolute_url(text, base)


def _link(entry: feedparser.FeedParserDict, base: str) -> str | None:
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not link and str(entry.get("id") or "").startswith(("http://", "https://")):
        link = entry.get("id")
    return absolute_url(link, base)


def absolute_url(link: object, base: str) -> str | None:
    """An absolute http(s) url from a possibly relative link, or None."""
    if not isinstance(link, str) or not link.strip():
        return None
    url = urllib.parse.urljoin(base, link.strip())
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.urlunsplit(parts._replace(fragment=""))


# What each feed format calls the date feedparser files under 'published' / 'updated'.
_DATE_FIELDS = {"rss": {"published": "pubDate", "updated": "dc:date"},
                "atom": {"published": "published", "updated": "updated"}}


def _entry_date(entry: feedparser.FeedParserDict, version: str, feed_url: str) -> tuple[str | None, str | None]:
    """An entry's date as written (feedparser's own parse is moved to UTC and English only)."""
    names = _DATE_FIELDS["atom" if version.startswith("atom") else "rss"]
    for key in ("published", "updated"):
        if entry.get(key):
            return _date(entry.get(key), names[key], feed_url)
    return None, None


def _entry_summary(entry: feedparser.FeedParserDict) -> str | None:
    """An entry's own text as plain text with its paragraphs: its content, else its summary."""
    for detail in [*(entry.get("content") or []), entry.get("summary_detail")]:
        if detail:
            text = _summary(detail.get("value"), html="html" in str(detail.get("type") or "html"))
            if text:
                return text
    return None


def _summary(value: object, *, html: bool) -> str | None:
    """A feed's text for an item as plain text with its paragraphs, or None when there is none."""
    if not isinstance(value, str):
        return None
    return clean_text(html_text(value) if html else value) or None


def _date(value: object, field: str, feed_url: str) -> tuple[str | None, str | None]:
    """(date, None) or (None, 'FIELD in FEED: why it cannot be read'), by the readers' one date reading."""
    published, problem = read_date(value)
    return published, (f"{field} in {feed_url}: {problem}" if problem else None)


def _text(value: object) -> str | None:
    """A title or outlet as plain text on one line (feeds may hold markup and entities, twice encoded)."""
    if not isinstance(value, str):
        return None
    return plain_text(value) or None


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
