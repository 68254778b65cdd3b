"""What every format shares: field names and their aliases, metadata from a record's fields, text
as stored (`clean_text`), and titles, outlets and authors as plain text (`plain_text`, `html_text`)."""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from bot.readers.dates import read_date
from bot.readers.messages import _kind
from bot.schema import Article
from bot.text import normalize_text

TEXT_FIELDS = ("text", "body", "content", "article", "maintext", "page_content")
TITLE_FIELDS = ("title", "headline")
SOURCE_FIELDS = ("source", "outlet", "publisher", "site", "site_name", "sitename", "source_domain")
AUTHOR_FIELDS = ("author", "authors", "byline")
DATE_FIELDS = ("published", "date", "publish_date", "published_at", "pubdate", "date_publish",
               "published_date")
URL_FIELDS = ("url", "link", "href", "source_url", "canonical_url")
META_FIELDS = ("metadata", "meta")  # nested metadata objects (LangChain documents, many exporters)
NOTE_FIELDS = ("published_approximate",)  # documented notes for people (README), never reported
KNOWN_FIELDS = frozenset((*TEXT_FIELDS, *TITLE_FIELDS, *SOURCE_FIELDS, *AUTHOR_FIELDS, *DATE_FIELDS,
                          *URL_FIELDS, *META_FIELDS, *NOTE_FIELDS))


# Invisible characters hostile articles use to hide, reorder or smuggle text: C0/C1 controls,
# zero-width and bidi controls, invisible operators, Unicode tag characters (hidden instructions
# for language models). Vertical tab, form feed and Unicode line breaks become newlines instead.
_HYGIENE: dict[int, str | None] = {c: None for c in (
    *range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x061C, 0x180E,
    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF,
    *range(0xFFF9, 0xFFFC), *range(0xE0000, 0xE0080))}
_HYGIENE.update({0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"})

_URL_ESCAPES = {c: f"%{c:02X}" for c in b' \n\t"<>\\^`{|}'}
_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "blockquote", "pre", "header", "footer", "ul", "ol", "table")


def clean_text(text: str) -> str:
    """Text as stored: newlines as \\n, no invisible or control characters, NFC, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_HYGIENE)
    return normalize_text(text).strip()


def _merged_fields(record: Mapping[Any, Any]) -> dict[str, Any]:
    """A record's fields, with those of a nested "metadata"/"meta" object (top-level ones win)."""
    fields = _fields(record)
    for box in META_FIELDS:
        nested = fields.get(box)
        if isinstance(nested, Mapping):
            for key, value in _fields(nested).items():
                fields.setdefault(key, value)
    return fields


def _ignored(record: Mapping[Any, Any]) -> list[str]:
    """Names of a record's fields that newsbot does not read ('metadata.x' for nested ones)."""
    fields = _fields(record)
    names = [k for k in fields if k not in KNOWN_FIELDS]
    for box in META_FIELDS:
        nested = fields.get(box)
        if isinstance(nested, Mapping):
            names += [f"{box}.{k}" for k in _fields(nested) if k not in KNOWN_FIELDS]
        elif box in fields and nested is not None:
            names.append(f"{box} ({_kind(nested)}, not an object)")
    return names


def _record(fields: Mapping[str, Any], name: str, line: int | None,
            problems: list[str]) -> Article | str:
    """An article from a JSON record's fields, or the reason it is not one."""
    key = next((k for k in TEXT_FIELDS if fields.get(k) is not None), None)
    if key is None:
        return f"no text field (expected one of: {', '.join(TEXT_FIELDS)})"
    if not isinstance(fields[key], str):
        return f"the {key!r} field is {_kind(fields[key])}, not text"
    text = clean_text(fields[key])
    if not text:
        return "empty article"
    return Article(text=text, path=name, line=line, **_metadata(fields, problems))


def _fields(record: Mapping[Any, Any]) -> dict[str, Any]:
    """Field names lower-cased and trimmed; non-string keys dropped."""
    return {k.strip().lower(): v for k, v in record.items() if isinstance(k, str)}


class _Meta(TypedDict):
    title: str | None
    source: str | None
    author: str | None
    published: str | None
    url: str | None


def _first_key(fields: Mapping[str, Any], names: Sequence[str]) -> str | None:
    """The first of `names` that `fields` holds a value for."""
    return next((n for n in names if fields.get(n) not in (None, "", [])), None)


def _first(fields: Mapping[str, Any], names: Sequence[str]) -> Any:
    key = _first_key(fields, names)
    return None if key is None else fields[key]


def _source_url(fields: Mapping[str, Any]) -> str | None:
    """A 'source' that is a url (LangChain loaders write the page there), when there is no url."""
    if _first_key(fields, URL_FIELDS) is not None:
        return None
    return _url(_first(fields, SOURCE_FIELDS))


def _metadata(fields: Mapping[str, Any], problems: list[str]) -> _Meta:
    """title, source, author, published, url from the first alias present of each.

    A date that is there but cannot be read is added to `problems` ('FIELD: cannot read "..."').
    """
    author = _first(fields, AUTHOR_FIELDS)
    if isinstance(author, list):
        names = [_one_line(_name(a)) for a in author]
        author = ", ".join(n for n in names if n) or None
    else:
        author = _one_line(_name(author))
    date_key = _first_key(fields, DATE_FIELDS)
    published, problem = read_date(None if date_key is None else fields[date_key])
    if problem:
        problems.append(f"{date_key}: {problem}")
    url = _url(_first(fields, URL_FIELDS))
    source = _one_line(_name(_first(fields, SOURCE_FIELDS)))
    if url is None and (page := _source_url(fields)) is not None:
        url, source = page, None
    return {"title": _one_line(_name(_first(fields, TITLE_FIELDS))),
            "source": source,
            "author": author,
            "published": published,
            "url": url}


def _name(value: object) -> str | None:
    """A scalar as text; a {"name": ...} object by its name; anything else (lists, maps) None."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _one_line(value: str | None) -> str | None:
    """Metadata text: plain (no markup or entities), cleaned, on one line; None when empty."""
    if value is None:
        return None
    return plain_text(value) or None


# Markup: an element's start or end tag, or a comment ('x < y' and 'Fish & chips <3' are not).
_MARKUP = re.compile(r"<(?:[A-Za-z][\w:-]*(?:\s[^<>]*)?/?|/[A-Za-z][\w:-]*\s*)>|<!--")
# A character reference with its semicolon ('AT&T' and '&ampersands' are text).
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def plain_text(value: str) -> str:
    """A title, outlet or author as people read it: markup dropped, character references decoded
    (also when encoded twice over: '&amp;#8220;', '&lt;em&gt;'), cleaned, on one line."""
    text = value
    for _ in range(3):
        if _MARKUP.search(text):
            decoded = html_text(text)  # lxml decodes the references once as it reads
        elif _ENTITY.search(text):
            decoded = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
        else:
            break
        if decoded == text:
            break
        text = decoded
    return " ".join(clean_text(text).split())


def html_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed's summary, a title with markup): block elements on
    their own lines, script and style left out, character references decoded."""
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div", parser=parser)
    except (lxml.etree.LxmlError, ValueError):
        return html.unescape(_MARKUP.sub(" ", fragment))
    return _body_text(root)


def _body_text(root: Any) -> str:
    """Text of <body> without script/style/noscript/template, block elements on their own lines."""
    for element in list(root.iter("script", "style", "noscript", "template", "head")):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    body = root.find("body")
    text = str((body if body is not None else root).text_content())
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _url(value: object) -> str | None:
    """An absolute http(s) URL (ASCII that URLs may not hold raw percent-encoded), or None."""
    if not isinstance(value, str):
        return None
    url = clean_text(value)
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.translate(_URL_ESCAPES)
