"""JSON and JSON Lines records: one article per record; of records sharing a url, the newest."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from bot.readers.dates import read_date
from bot.readers.encoding import _sniff
from bot.readers.fields import (
    DATE_FIELDS,
    URL_FIELDS,
    _first,
    _ignored,
    _merged_fields,
    _record,
    _source_url,
    _url,
)
from bot.readers.messages import _first_line, _kind, _os_reason
from bot.schema import Article, Notice, Skipped, date_ordinal

_BLOCK_BYTES = 64 * 1024

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
