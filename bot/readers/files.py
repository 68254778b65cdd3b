"""The file walk and the dispatch by format: paths -> files -> `Article`, `Skipped` or `Notice`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.readers.encoding import _decode, _sniff
from bot.readers.html import _parse_html
from bot.readers.messages import _os_reason
from bot.readers.records import _parse_json, _read_jsonl
from bot.readers.text import _parse_text
from bot.schema import Article, Skipped

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_LINE_BYTES = 5 * 1024 * 1024
EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl")
_MARKDOWN = (".md", ".markdown")


def iter_files(paths: Sequence[Path]) -> Iterator[Path | Skipped]:
    """Article files under `paths`, recursively and in sorted order; hidden entries are left out.

    A path that cannot be read, has an unsupported extension or loops back is a `Skipped`; never
    raises.
    """
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
    """Every article under `paths`, and a `Skipped` for each file or record it could not read.

    `Notice`s (a subclass of `Skipped`) say what was left out of an article still read; never
    raises on bad input.
    """
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from read_file(item)


def read_file(path: Path, *, max_file_bytes: int | None = None,
              max_line_bytes: int | None = None) -> Iterator[Article | Skipped]:
    """One file's articles (one for md/txt/html, one per record for json/jsonl), or why not.

    Yields `Article`s, `Notice`s about them, and a `Skipped` for what cannot be read (size limits:
    `max_file_bytes`, `max_line_bytes` for a jsonl line); never raises on bad input.
    """
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
