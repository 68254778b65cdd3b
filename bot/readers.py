"""Article readers: files and records -> `Article`, or `Skipped` saying where and why.

Formats: Markdown/text with optional YAML front matter, HTML (main text by trafilatura), JSON and
JSON Lines records. Readers never raise on bad input: every problem becomes a `Skipped` record
("PATH[:LINE]: reason") and reading goes on with the next file or line.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import re
import stat
import unicodedata
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypedDict

import yaml  # type: ignore[import-untyped]

from bot.schema import Article, Skipped, parse_date

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_LINE_BYTES = 5 * 1024 * 1024
EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl")

TEXT_FIELDS = ("text", "body", "content", "article", "maintext")
TITLE_FIELDS = ("title", "headline")
SOURCE_FIELDS = ("source", "outlet", "publisher", "site", "site_name", "sitename", "source_domain")
AUTHOR_FIELDS = ("author", "authors", "byline")
DATE_FIELDS = ("published", "date", "publish_date", "published_at", "pubdate", "date_publish",
               "published_date")
URL_FIELDS = ("url", "link", "href", "source_url", "canonical_url")

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
    return unicodedata.normalize("NFC", text).strip()


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
        yield _parse_html(data, name)
        return
    text = _decode(data, name)
    if isinstance(text, Skipped):
        yield text
    elif ext == ".json":
        yield from _parse_json(text, name)
    else:
        yield _parse_text(text, name, markdown=ext in _MARKDOWN)


def _parse_text(text: str, name: str, *, markdown: bool) -> Article | Skipped:
    """Markdown or plain text with optional YAML front matter between '---' lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: Mapping[str, Any] = {}
    opening = _FRONT_OPEN.match(text)
    if opening:
        closing = _FRONT_CLOSE.search(text, opening.end())
        if closing is None:
            return Skipped(name, "front matter is not closed: add a '---' line after it", line=1)
        loaded = _load_yaml(text[opening.end():closing.start()], name)
        if isinstance(loaded, Skipped):
            return loaded
        if loaded is not None and not isinstance(loaded, dict):
            return Skipped(name, f"front matter is not a mapping of fields (found {_kind(loaded)})",
                           line=2)
        meta = _fields(loaded or {})
        text = text[closing.end():]
    body = clean_text(text)
    if not body:
        return Skipped(name, "empty article")
    found = _metadata(meta)
    if found["title"] is None and markdown:
        heading = _MD_TITLE.search(body)
        found["title"] = _one_line(_heading_text(heading.group(1))) if heading else None
    return Article(text=body, path=name, **found)


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
            result = _record(data, name, None)
            yield result if isinstance(result, Article) else Skipped(name, result)
            return
        data = nested
    if not isinstance(data, list):
        yield Skipped(name, f"JSON holds {_kind(data)}: expected an object or a list of objects")
        return
    if not data:
        yield Skipped(name, "no records")
        return
    # A record's number stands in for its line so each keeps its own key (path#L<n>) without a url.
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield Skipped(name, f"record {number}: not a JSON object (found {_kind(item)})")
            continue
        result = _record(item, name, number)
        yield result if isinstance(result, Article) else Skipped(name, f"record {number}: {result}")


def _read_jsonl(handle: BinaryIO, name: str, max_line: int) -> Iterator[Article | Skipped]:
    """A .jsonl file, one object per line; a bad line is reported and the others still read."""
    try:
        head = handle.read(_BLOCK_BYTES)
    except OSError as exc:
        yield Skipped(name, _os_reason(exc))
        return
    problem = _sniff(head)
    if problem:
        yield Skipped(name, problem)
        return
    nonblank = 0
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
            nonblank += 1
            yield Skipped(name, f"line too long ({size:,} bytes; the limit is {max_line:,})",
                          line=number)
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw, offset = raw[3:], offset + 3
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            nonblank += 1
            yield Skipped(name, f"not valid UTF-8 (byte offset {offset + exc.start})", line=number)
            continue
        if not line.strip():
            continue
        nonblank += 1
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(name, f"invalid JSON: {exc.msg} (column {exc.colno})", line=number)
            continue
        except (ValueError, RecursionError) as exc:
            yield Skipped(name, f"invalid JSON: {_first_line(exc)}", line=number)
            continue
        if not isinstance(item, dict):
            yield Skipped(name, f"not a JSON object (found {_kind(item)})", line=number)
            continue
        result = _record(item, name, number)
        yield result if isinstance(result, Article) else Skipped(name, result, line=number)
    if nonblank == 0:
        yield Skipped(name, "no records")


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


def _parse_html(data: bytes, name: str) -> Article | Skipped:
    """An HTML page: main text by trafilatura (lxml body text when it finds none), page metadata."""
    html = _decode_html(data, name)
    if isinstance(html, Skipped):
        return html
    import trafilatura  # heavy: loaded only when an HTML file is met

    try:
        doc = trafilatura.bare_extraction(
            html, include_comments=False, include_tables=False, favor_recall=True,
            with_metadata=True, date_extraction_params=_HTML_DATE_PARAMS)
        found = {} if doc is None else doc if isinstance(doc, dict) else doc.as_dict()
    except Exception:  # hostile markup must never stop an ingest: the lxml fallback gets a try
        found = {}
    body = clean_text(found.get("text") or "")
    if not body:
        body = clean_text(_body_text(html))
    if not body:
        return Skipped(name, "no article text found in the HTML")
    meta = {"title": found.get("title"), "source": found.get("sitename"),
            "author": found.get("author"), "published": found.get("date"), "url": found.get("url")}
    return Article(text=body, path=name, **_metadata(meta))


def _body_text(html: str) -> str:
    """Text of <body> without script/style/noscript/template, block elements on their own lines."""
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (lxml.etree.LxmlError, ValueError):
        return ""
    for element in list(root.iter("script", "style", "noscript", "template", "head")):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    body = root.find("body")
    text = str((body if body is not None else root).text_content())
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _record(fields_in: Mapping[Any, Any], name: str, line: int | None) -> Article | str:
    """An article from a JSON record, or the reason it is not one."""
    fields = _fields(fields_in)
    key = next((k for k in TEXT_FIELDS if fields.get(k) is not None), None)
    if key is None:
        return f"no text field (expected one of: {', '.join(TEXT_FIELDS)})"
    if not isinstance(fields[key], str):
        return f"the {key!r} field is {_kind(fields[key])}, not text"
    text = clean_text(fields[key])
    if not text:
        return "empty article"
    return Article(text=text, path=name, line=line, **_metadata(fields))


def _fields(record: Mapping[Any, Any]) -> dict[str, Any]:
    """Field names lower-cased and trimmed; non-string keys dropped."""
    return {k.strip().lower(): v for k, v in record.items() if isinstance(k, str)}


class _Meta(TypedDict):
    title: str | None
    source: str | None
    author: str | None
    published: str | None
    url: str | None


def _metadata(fields: Mapping[str, Any]) -> _Meta:
    """title, source, author, published, url from the first alias present of each."""

    def first(names: Sequence[str]) -> Any:
        return next((fields[n] for n in names if fields.get(n) not in (None, "", [])), None)

    author = first(AUTHOR_FIELDS)
    if isinstance(author, list):
        names = [_one_line(_name(a)) for a in author]
        author = ", ".join(n for n in names if n) or None
    else:
        author = _one_line(_name(author))
    return {"title": _one_line(_name(first(TITLE_FIELDS))),
            "source": _one_line(_name(first(SOURCE_FIELDS))),
            "author": author,
            "published": _published(first(DATE_FIELDS)),
            "url": _url(first(URL_FIELDS))}


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
    """Metadata text: cleaned, whitespace collapsed to single spaces; None when empty."""
    if value is None:
        return None
    return " ".join(clean_text(value).split()) or None


def _published(value: object) -> str | None:
    """A date as 'YYYY[-MM[-DD]]' (also from YYYYMMDD and unix time in s or ms, UTC); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 10**7 <= value < 10**8:
        value = str(value)
    if isinstance(value, str) and value.strip().isdigit():
        digits = value.strip()
        if len(digits) == 8:  # YYYYMMDD
            try:
                return dt.datetime.strptime(digits, "%Y%m%d").date().isoformat()
            except ValueError:
                return None
        if 9 <= len(digits) <= 13:
            value = int(digits)
    if isinstance(value, (int, float)):
        if 1000 <= value <= 9999 and value == int(value):
            return parse_date(int(value))
        if 1e8 <= value < 1e14:  # unix time, in seconds or (from 1e11 on) milliseconds
            seconds = value / 1000 if value >= 1e11 else value
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date().isoformat()
        return None
    if isinstance(value, (dt.date, str)):
        return parse_date(value)
    return None


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
