"""Article readers: files and records -> `Article`, or `Skipped` saying where and why.

Formats: Markdown/text with optional YAML front matter, HTML (main text by trafilatura, tables as
row sentences, subscription prompts dropped), JSON and JSON Lines records (metadata at the top
level or nested under "metadata"). Readers never raise on bad input: every problem becomes a
`Skipped` record ("PATH[:LINE]: reason") and reading goes on with the next file or line; what is
left out of an article that is still read (a date that cannot be read, fields not read, an older
record of the same url, a '---' that opens no front matter) becomes a `Notice`.

Dates are read by dateparser (absolute dates only, a year required); a day/month order that the
value leaves open (05/08/2022) is reported, never guessed. Live sources read their dates with the
same `read_date`. Titles, outlets and authors are plain text (`plain_text`: markup dropped,
character references decoded).
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import html
import json
import os
import re
import stat
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, TypedDict

import yaml  # type: ignore[import-untyped]

from bot.schema import Article, Notice, Skipped, date_ordinal, parse_date
from bot.text import normalize_text

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_LINE_BYTES = 5 * 1024 * 1024
EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl")

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

_SNIFF_BYTES = 8192
_BLOCK_BYTES = 64 * 1024
_MARKDOWN = (".md", ".markdown")

# Invisible characters hostile articles use to hide, reorder or smuggle text: C0/C1 controls,
# zero-width and bidi controls, invisible operators, Unicode tag characters (hidden instructions
# for language models). Vertical tab, form feed and Unicode line breaks become newlines instead.
_HYGIENE: dict[int, str | None] = {c: None for c in (
    *range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x061C, 0x180E,
    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF,
    *range(0xFFF9, 0xFFFC), *range(0xE0000, 0xE0080))}
_HYGIENE.update({0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"})

_FRONT_OPEN = re.compile(r"---[ \t]*(?:\n|\Z)")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_MD_TITLE = re.compile(r"^#[ \t]+(.*)$", re.M)  # linear: closing #s are trimmed in Python
_URL_ESCAPES = {c: f"%{c:02X}" for c in b' \n\t"<>\\^`{|}'}
_HTML_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)
_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "blockquote", "pre", "header", "footer", "ul", "ol", "table")
# Only dates the page declares (meta tags, url, time elements): an "extensive" search would take a
# date mentioned in the article's text for its publication date.
_HTML_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"}

_YAML_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FrontMatterLoader(_YAML_BASE):  # type: ignore[misc]
    """Safe YAML loader that leaves dates as strings (parse_date decides, a bad day is no crash)."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _YAML_BASE.yaml_implicit_resolvers.items()
    }


def clean_text(text: str) -> str:
    """Text as stored: newlines as \\n, no invisible or control characters, NFC, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_HYGIENE)
    return normalize_text(text).strip()


def iter_files(paths: Sequence[Path]) -> Iterator[Path | Skipped]:
    """Article files under `paths`, recursively and in sorted order; hidden entries are left out."""
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for top in paths:
        top = Path(top)
        try:
            st = top.stat()
        except OSError as exc:
            yield Skipped(str(top), _os_reason(exc))
            continue
        if not stat.S_ISDIR(st.st_mode):
            if top.suffix.lower() not in EXTENSIONS:
                yield Skipped(str(top), _unsupported(top))
            elif _mark(st, seen_files):
                yield top
            continue
        yield from _walk(top, seen_files, seen_dirs)


_Ancestors = tuple[tuple[tuple[int, int], Path], ...]  # (device, inode) and path of each folder


def _walk(top: Path, seen_files: set[tuple[int, int]],
          seen_dirs: set[tuple[int, int]]) -> Iterator[Path | Skipped]:
    """Depth-first walk with an explicit stack; a folder met again below itself is a loop."""
    stack: list[tuple[Path, _Ancestors | None]] = [(top, ())]  # ancestors None: a file
    while stack:
        path, ancestors = stack.pop()
        try:
            st = path.stat()
        except OSError as exc:
            yield Skipped(str(path), _os_reason(exc))
            continue
        if ancestors is None:
            if _mark(st, seen_files):
                yield path
            continue
        ident = (st.st_dev, st.st_ino)
        loop = next((seen for key, seen in ancestors if key == ident), None)
        if loop is not None:
            yield Skipped(str(path), f"symlink loop: it leads back to {loop}")
            continue
        if ident in seen_dirs:
            continue  # the same folder reached through another symlink: read it once
        seen_dirs.add(ident)
        try:
            with os.scandir(path) as entries:
                names = sorted(e.name for e in entries if not e.name.startswith("."))
        except OSError as exc:
            yield Skipped(str(path), f"cannot list directory: {exc.strerror or exc}")
            continue
        below: _Ancestors = (*ancestors, (ident, path))
        children: list[tuple[Path, _Ancestors | None]] = []
        for name in names:
            child = path / name
            if child.is_dir():
                children.append((child, below))
            elif child.suffix.lower() in EXTENSIONS:
                children.append((child, None))
        stack.extend(reversed(children))


def _mark(st: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    """Remember a file by identity; False when it was already yielded under another name."""
    ident = (st.st_dev, st.st_ino)
    if ident in seen:
        return False
    seen.add(ident)
    return True


def read_articles(paths: Sequence[Path]) -> Iterator[Article | Skipped]:
    """Every article under `paths`, and a `Skipped` for each file or record it could not read."""
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from read_file(item)


def read_file(path: Path, *, max_file_bytes: int | None = None,
              max_line_bytes: int | None = None) -> Iterator[Article | Skipped]:
    """One file's articles (one for md/txt/html, one per record for json/jsonl), or why not."""
    path = Path(path)
    name = str(path)
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        yield Skipped(name, _unsupported(path))
        return
    max_file = MAX_FILE_BYTES if max_file_bytes is None else max_file_bytes
    max_line = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
    try:
        # O_NONBLOCK: opening a FIFO that happens to be named x.md must not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        yield Skipped(name, _os_reason(exc))
        return
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        yield Skipped(name, _os_reason(exc))
        return
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO, socket or device"
        yield Skipped(name, f"not a regular file ({kind})")
        return
    with os.fdopen(fd, "rb") as handle:
        if ext == ".jsonl":
            # Streamed line by line in bounded memory, so no whole-file size limit applies.
            yield from _read_jsonl(handle, name, max_line)
            return
        if st.st_size > max_file:
            yield Skipped(name, _too_large(st.st_size, max_file))
            return
        try:
            data = handle.read(max_file + 1)
        except OSError as exc:
            yield Skipped(name, _os_reason(exc))
            return
    if len(data) > max_file:  # it grew after the size check
        yield Skipped(name, _too_large(len(data), max_file))
        return
    problem = _sniff(data)
    if problem:
        yield Skipped(name, problem)
        return
    if ext in (".html", ".htm"):
        yield from _parse_html(data, name)
        return
    text = _decode(data, name)
    if isinstance(text, Skipped):
        yield text
    elif ext == ".json":
        yield from _parse_json(text, name)
    else:
        yield from _parse_text(text, name, markdown=ext in _MARKDOWN)


def _parse_text(text: str, name: str, *, markdown: bool) -> Iterator[Article | Skipped]:
    """Markdown or plain text with optional YAML front matter between '---' lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: Mapping[str, Any] = {}
    notes: list[Notice] = []
    opening = _FRONT_OPEN.match(text)
    if opening:
        closing = _FRONT_CLOSE.search(text, opening.end())
        block = text[opening.end():closing.start()] if closing else text[opening.end():]
        loaded = _load_yaml(block, name) if closing else None
        if _looks_like_fields(block) and closing is None:
            yield Skipped(name, "front matter is not closed: add a '---' line after it", line=1)
            return
        if isinstance(loaded, Skipped) and _looks_like_fields(block):
            yield loaded
            return
        prose = [k for k in loaded if not _is_field_name(k)] if isinstance(loaded, dict) else []
        if closing is not None and (loaded is None or isinstance(loaded, dict)) and not prose:
            meta = _fields(loaded or {})
            text = text[closing.end():]
        else:  # a thematic break, not front matter: the whole file is the article
            found = "no closing '---' line" if closing is None else (
                "malformed YAML" if isinstance(loaded, Skipped) else
                f"{', '.join(repr(str(k)) for k in prose[:3])} is not a field name" if prose else
                _kind(loaded))
            notes.append(Notice(name, "the '---' on line 1 opens no front matter (what follows is not "
                                      f"a mapping of fields: {found}): read the whole file as text",
                                line=1))
    body = clean_text(text)
    if not body:
        yield Skipped(name, "empty article")
        return
    problems: list[str] = []
    found_meta = _metadata(meta, problems)
    if found_meta["title"] is None and markdown:
        heading = _MD_TITLE.search(body)
        found_meta["title"] = _one_line(_heading_text(heading.group(1))) if heading else None
    yield Article(text=body, path=name, **found_meta)
    yield from notes
    yield from (Notice(name, p) for p in problems)
    unknown = sorted(k for k in meta if k not in KNOWN_FIELDS)
    if unknown:
        yield Notice(name, f"front matter fields not read (ignored): {', '.join(unknown)}")


_FIELD_LINE = re.compile(r"[A-Za-z_][\w-]{0,63}[ \t]*:(?:[ \t]|$)")
_FIELD_NAME = re.compile(r"[A-Za-z_][\w-]{0,63}")


def _is_field_name(key: object) -> bool:
    """Whether a YAML key names a field ('title', 'published_at'), not a phrase ('The council')."""
    return isinstance(key, str) and _FIELD_NAME.fullmatch(key.strip()) is not None


def _looks_like_fields(block: str) -> bool:
    """Whether the text after an opening '---' starts like YAML fields ('name: value')."""
    for line in block.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return _FIELD_LINE.match(stripped) is not None
    return False


def _heading_text(line: str) -> str:
    """An ATX heading's text without its optional closing #s."""
    text = line.rstrip()
    trimmed = text.rstrip("#")
    return trimmed.rstrip() if trimmed != text and trimmed[-1:] in ("", " ", "\t") else text


def _load_yaml(block: str, name: str) -> object:
    """The front matter's YAML, or a Skipped naming the line of the error (file line numbers)."""
    try:
        return yaml.load(block, Loader=_FrontMatterLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        line = mark.line + 2 if mark is not None else 1  # the YAML starts on the file's line 2
        return Skipped(name, f"bad front matter: {problem}", line=line)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # The safe constructors raise these too: huge integers, unhashable keys, deep nesting.
        return Skipped(name, f"bad front matter: {_first_line(exc)}", line=1)


# (record number, the parsed JSON value) or a Skipped for a line that is not JSON at all
_Records = Iterator[tuple[int, Any] | Skipped]


def _parse_json(text: str, name: str) -> Iterator[Article | Skipped]:
    """A .json file: one object, a list of objects, or an object holding articles/items/data."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Skipped(name, f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
        return
    except (ValueError, RecursionError) as exc:
        yield Skipped(name, f"invalid JSON: {_first_line(exc)}")
        return
    if isinstance(data, dict):
        wrappers = ("articles", "items", "data")
        nested = next((data[k] for k in wrappers if isinstance(data.get(k), list)), None)
        if nested is None:
            fields = _merged_fields(data)
            problems: list[str] = []
            result = _record(fields, name, None, problems)
            if not isinstance(result, Article):
                yield Skipped(name, result)
                return
            yield result
            yield from (Notice(name, p) for p in problems)
            ignored = _ignored(data)
            if ignored:
                yield Notice(name, f"fields not read (ignored): {', '.join(ignored)}")
            return
        data = nested
    if not isinstance(data, list):
        yield Skipped(name, f"JSON holds {_kind(data)}: expected an object or a list of objects")
        return
    if not data:
        yield Skipped(name, "no records")
        return
    # A record's number stands in for its line so each keeps its own key (path#L<n>) without a url.
    items = data
    yield from _read_records(lambda: iter(enumerate(items, start=1)), name, jsonl=False)


def _read_jsonl(handle: BinaryIO, name: str, max_line: int) -> Iterator[Article | Skipped]:
    """A .jsonl file, one object per line; a bad line is reported and the others still read."""
    yield from _read_records(lambda: _jsonl_values(handle, name, max_line), name, jsonl=True)


def _read_records(records: Callable[[], _Records], name: str, *,
                  jsonl: bool) -> Iterator[Article | Skipped]:
    """Articles from JSON records; of records sharing a url, only the newest is read.

    `records` is called twice: a first pass finds, for each url, the record with the latest
    published date (the later record on equal or unknown dates), holding only url -> (record
    number, date as written) in memory, and reading dates only of urls met twice; the second pass
    reads the articles.
    """
    best: dict[str, tuple[int, object]] = {}
    losers: dict[str, list[tuple[int, str]]] = {}
    for item in records():
        if isinstance(item, Skipped) or not isinstance(item[1], dict):
            continue
        number, value = item
        fields = _merged_fields(value)
        url = _url(_first(fields, URL_FIELDS)) or _source_url(fields)
        if url is None:
            continue
        raw = _first(fields, DATE_FIELDS)
        held = best.get(url)
        if held is None:
            best[url] = (number, raw)
            continue
        day, held_day = (date_ordinal(read_date(v)[0]) for v in (raw, held[1]))
        if held_day is None or day is None:
            why = "no published date to compare; the later one is kept"
        elif held_day == day:
            why = "same published date; the later one is kept"
        else:
            why = "older published date"
        if held_day is not None and day is not None and held_day > day:
            losers.setdefault(url, []).append((number, why))
        else:
            losers.setdefault(url, []).append((held[0], why))
            best[url] = (number, raw)
    replaced = {best[url][0]: sorted(lost) for url, lost in losers.items()}
    losing = {loser for lost in replaced.values() for loser, _ in lost}
    ignored: Counter[str] = Counter()
    nonblank = 0
    for item in records():
        if isinstance(item, Skipped):
            nonblank += 1
            yield item
            continue
        number, value = item
        nonblank += 1

        def skipped(reason: str) -> Skipped:
            return (Skipped(name, reason, line=number) if jsonl
                    else Skipped(name, f"record {number}: {reason}"))

        if not isinstance(value, dict):
            yield skipped(f"not a JSON object (found {_kind(value)})")
            continue
        if number in losing:
            continue  # reported by the record that replaces it
        problems: list[str] = []
        result = _record(_merged_fields(value), name, number, problems)
        if not isinstance(result, Article):
            yield skipped(result)
            continue
        ignored.update(_ignored(value))
        yield result
        unit = "line" if jsonl else "record"
        for loser, why in replaced.get(number, []):
            yield _notice(name, number, jsonl, f"replaces {unit} {loser}, which has the same url ({why})")
        for problem in problems:
            yield _notice(name, number, jsonl, problem)
    if nonblank == 0:
        yield Skipped(name, "no records")
    if ignored:
        counts = ", ".join(f"{k} ({n} record{'s' if n > 1 else ''})" for k, n in sorted(ignored.items()))
        yield Notice(name, f"fields not read (ignored): {counts}")


def _notice(name: str, number: int, jsonl: bool, reason: str) -> Notice:
    return Notice(name, reason, line=number) if jsonl else Notice(name, f"record {number}: {reason}")


def _jsonl_values(handle: BinaryIO, name: str, max_line: int) -> _Records:
    """(line number, parsed value) of each non-blank line, or a Skipped for a line that is no JSON."""
    try:
        handle.seek(0)
        head = handle.read(_BLOCK_BYTES)
    except OSError as exc:
        yield Skipped(name, _os_reason(exc))
        return
    problem = _sniff(head)
    if problem:
        yield Skipped(name, problem)
        return
    lines = _lines(handle, head, max_line)
    while True:
        try:
            number, offset, raw, size = next(lines)
        except StopIteration:
            break
        except OSError as exc:
            yield Skipped(name, _os_reason(exc))
            return
        if raw is None:
            yield Skipped(name, f"line too long ({size:,} bytes; the limit is {max_line:,})",
                          line=number)
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw, offset = raw[3:], offset + 3
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Skipped(name, f"not valid UTF-8 (byte offset {offset + exc.start})", line=number)
            continue
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(name, f"invalid JSON: {exc.msg} (column {exc.colno})", line=number)
        except (ValueError, RecursionError) as exc:
            yield Skipped(name, f"invalid JSON: {_first_line(exc)}", line=number)


def _lines(handle: BinaryIO, block: bytes,
           max_line: int) -> Iterator[tuple[int, int, bytes | None, int]]:
    """(line number, byte offset, bytes or None when longer than max_line, size in bytes)."""
    parts: list[bytes] = []
    held = 0  # bytes of the current line so far; its parts are kept only while under max_line
    number, offset = 1, 0
    while block:
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            size = held + end - start
            if size > max_line:
                yield number, offset, None, size
            else:
                parts.append(block[start:end])
                yield number, offset, b"".join(parts), size
            parts, held = [], 0
            number, offset, start = number + 1, offset + size + 1, end + 1
        rest = len(block) - start
        if held + rest > max_line:
            parts = []  # too long already: count the rest of it, keep nothing
        else:
            parts.append(block[start:])
        held += rest
        block = handle.read(_BLOCK_BYTES)
    if held:
        yield number, offset, (b"".join(parts) if held <= max_line else None), held


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
    meta = {"title": found.get("title"), "source": found.get("sitename"),
            "author": found.get("author"), "published": found.get("date"), "url": found.get("url")}
    problems: list[str] = []
    yield Article(text=body, path=name, **_metadata(meta, problems))
    yield from (Notice(name, p) for p in problems)


def prepare_html(html: str) -> str:
    """HTML made ready for main-text extraction: data tables as one sentence per row, subscription
    prompts dropped (the same for files and fetched pages). Unparseable HTML is returned unchanged."""
    root = _html_tree(html)
    return html if root is None else _prepared(root)


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


# Year first (ISO 8601 and its relatives: 2022-08-05, 2022-8-5, 2022/08/05, 2022-08-05T10:00Z).
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2}))?")


def read_date(value: object) -> tuple[str | None, str | None]:
    """(date as 'YYYY[-MM[-DD]]', None), or (None, why it cannot be read); (None, None) if empty.

    The one date reading of files, records, feeds, sitemaps and pages: the day as written (an
    offset never moves it to another day). Numbers: a year, YYYYMMDD, unix time in seconds or
    milliseconds (UTC). Text: year-first dates, RFC 2822 (email/RSS) dates, else whatever
    dateparser reads as an absolute date with a year, in English or another language; day and month
    in an order the value leaves open are reported, not guessed.
    """
    if value is None or isinstance(value, dt.date):
        return parse_date(value), None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, f"cannot read {_shown(value)}"
    if isinstance(value, int) and 10**7 <= value < 10**8:
        value = str(value)
    text = " ".join(normalize_text(value).split()) if isinstance(value, str) else ""
    if isinstance(value, str) and not text:
        return None, None
    if text.isdigit():
        if len(text) == 8:  # YYYYMMDD
            try:
                return dt.datetime.strptime(text, "%Y%m%d").date().isoformat(), None
            except ValueError:
                return None, f'cannot read "{text}": not a day of the calendar'
        if 9 <= len(text) <= 13:
            value = int(text)
    if isinstance(value, (int, float)):
        if 1000 <= value <= 9999 and value == int(value):
            return str(int(value)), None
        if 1e8 <= value < 1e14:  # unix time, in seconds or (from 1e11 on) milliseconds
            seconds = value / 1000 if value >= 1e11 else value
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date().isoformat(), None
        return None, f"cannot read {_shown(value)}"
    return _read_date_text(text)


@functools.lru_cache(maxsize=4096)
def _read_date_text(text: str) -> tuple[str | None, str | None]:
    """A date written as text (see read_date); cached: feeds repeat their dates."""
    if len(text) > 100:
        return None, f"cannot read {_shown(text)}: too long for a date"
    match = _YEAR_FIRST.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day).isoformat(), None
        except ValueError:
            return None, f'cannot read "{text}": not a day of the calendar'
    match = _YEAR_MONTH.fullmatch(text)
    if match:
        if match.group(2) is None:
            return match.group(1), None
        if 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{int(match.group(2)):02d}", None
        return None, f'cannot read "{text}": there is no month {match.group(2)}'
    try:
        return parsedate_to_datetime(text).date().isoformat(), None
    except (TypeError, ValueError, IndexError):
        pass
    first = _dateparser_reading(text, "DMY")
    found = [first] if first is not None else []
    # Month first can only read it otherwise when the day read could also be a month.
    if first is None or (len(first) == 10 and int(first[8:]) <= 12 and first[5:7] != first[8:]):
        second = _dateparser_reading(text, "MDY")
        found = sorted({*found, *([second] if second is not None else [])})
    if not found:
        return None, f'cannot read "{text}" (write it as YYYY-MM-DD)'
    if len(found) > 1:
        return None, (f'cannot read "{text}": the day and month could be either way round '
                      f"({' or '.join(found)}); write it as YYYY-MM-DD")
    return found[0], None


def _dateparser_reading(text: str, order: str) -> str | None:
    """What dateparser reads in `text` with day/month/year in `order`: English first, then any
    language; only absolute dates that name a year (no 'yesterday', no year taken from today)."""
    for languages in (("en",), None):
        data = _date_parser(order, languages).get_date_data(text)
        day = data.date_obj
        if day is not None:
            if data.period == "year":
                return f"{day.year:04d}"
            if data.period == "month":
                return f"{day.year:04d}-{day.month:02d}"
            return str(day.date().isoformat())
    return None


@functools.lru_cache(maxsize=8)
def _date_parser(order: str, languages: tuple[str, ...] | None) -> Any:
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]

    settings = {"DATE_ORDER": order, "PARSERS": ["custom-formats", "absolute-time"],
                "REQUIRE_PARTS": ["year"], "PREFER_DAY_OF_MONTH": "first",
                "RETURN_AS_TIMEZONE_AWARE": False}
    return DateDataParser(languages=list(languages) if languages else None, settings=settings)


def _shown(value: object) -> str:
    """A value as a message quotes it: strings in double quotes, shortened; others by kind."""
    if isinstance(value, str):
        return f'"{value[:80]}…"' if len(value) > 80 else f'"{value}"'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'"{value}"'
    return _kind(value)


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


def _sniff(data: bytes) -> str | None:
    """Why bytes are not an article file at all (empty, UTF-16, binary), or None."""
    if not data:
        return "empty file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text: save the file as UTF-8"
    if b"\x00" in data[:_SNIFF_BYTES]:
        return "binary file"
    return None


def _decode(data: bytes, name: str) -> str | Skipped:
    """Strict UTF-8 (a leading BOM is dropped); invalid bytes are reported, never replaced."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(name, f"not valid UTF-8 (byte offset {exc.start})")
    return text[1:] if text.startswith("\ufeff") else text


def _decode_html(data: bytes, name: str) -> str | Skipped:
    """HTML as UTF-8, or in the charset its <meta> declares when it is not UTF-8."""
    text = _decode(data, name)
    if not isinstance(text, Skipped):
        return text
    declared = _HTML_CHARSET.search(data[:_SNIFF_BYTES])
    if declared is None:
        return text
    charset = declared.group(1).decode("ascii")
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        return Skipped(name, f"{text.reason}; its declared charset {charset!r} is unknown")
    if codec == "utf-8":
        return text
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        return Skipped(name, f"not valid {charset} (byte offset {exc.start})")


def _unsupported(path: Path) -> str:
    found = f"'{path.suffix}'" if path.suffix else "none"
    return f"unsupported file type ({found}); newsbot reads {', '.join(EXTENSIONS)}"


def _too_large(size: int, limit: int) -> str:
    return f"file too large ({_size(size)}; the limit is {_size(limit)})"


def _size(n: int) -> str:
    if n < 2**20:
        return f"{n:,} bytes"
    mb = n / 2**20
    return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"


def _kind(value: object) -> str:
    """A JSON/YAML value's kind in words, for messages."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
