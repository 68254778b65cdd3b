"""Tests for bot/readers/: real files, every skip reason, property tests, big files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.readers import files as readers_files
from bot.readers import (
    MAX_LINE_BYTES,
    TEXT_FIELDS,
    clean_text,
    iter_files,
    read_articles,
    read_file,
)
from bot.schema import Article, Notice, Skipped

DATA = Path(__file__).parent / "data"
INVISIBLE = ("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
             "\u2068\u2069\U000e0041\U000e0069")  # the last two: Unicode tag characters
CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\n\t")
BAD_CHARS = set(INVISIBLE + CONTROLS + "\r")


def write(path: Path, content: str | bytes) -> Path:
    """Write a fixture file (str as UTF-8) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(path: Path) -> list[Article | Skipped]:
    return list(read_file(path))


def one_article(path: Path) -> Article:
    """The one article of a file; anything else read must be a Notice (see `notices`)."""
    items = read(path)
    articles = [i for i in items if isinstance(i, Article)]
    assert len(articles) == 1 and all(isinstance(i, (Article, Notice)) for i in items), items
    return articles[0]


def notices(path: Path) -> list[str]:
    """What reading a file reported about articles it still read, as 'PATH[:LINE]: reason'."""
    return [str(i) for i in read(path) if isinstance(i, Notice)]


def one_skip(path: Path) -> Skipped:
    items = read(path)
    assert len(items) == 1 and isinstance(items[0], Skipped), items
    return items[0]


# --- Markdown and text ------------------------------------------------------------------------


def test_markdown_front_matter_fields_and_exact_body(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", (
        "---\n"
        "title: Licence changes hands\n"
        "source: Harbour Post\n"
        "author: Mei Lin\n"
        "published: 2022-07-01\n"
        "url: https://harbour-post.example/a\n"
        "tags: [cars, china]\n"
        "---\n\n"
        "# A heading that is not the title\n\n"
        "The *licence* is now held by [BAIC](https://baic.example).  \n"
    ))
    article = one_article(path)
    assert article == Article(
        text="# A heading that is not the title\n\n"
             "The *licence* is now held by [BAIC](https://baic.example).",
        title="Licence changes hands", source="Harbour Post", author="Mei Lin",
        published="2022-07-01", url="https://harbour-post.example/a", path=str(path), line=None)
    assert article.key == "https://harbour-post.example/a"


@pytest.mark.parametrize(("field", "value", "attr", "expected"), [
    ("outlet", "Harbour Post", "source", "Harbour Post"),
    ("publisher", "Harbour Post", "source", "Harbour Post"),
    ("site", "Harbour Post", "source", "Harbour Post"),
    ("authors", "[Mei Lin, Tom Hale]", "author", "Mei Lin, Tom Hale"),
    ("date", "2022-07-01", "published", "2022-07-01"),
    ("publish_date", "'July 1, 2022'", "published", "2022-07-01"),
    ("published_at", "2022-07-01T08:30:00Z", "published", "2022-07-01"),
    ("pubdate", "2022-07", "published", "2022-07"),
    ("published", "2022", "published", "2022"),
    ("link", "https://e.example/x", "url", "https://e.example/x"),
    ("href", "https://e.example/x", "url", "https://e.example/x"),
    ("source_url", "https://e.example/x", "url", "https://e.example/x"),
    ("Title", "Capitalised key", "title", "Capitalised key"),
])
def test_front_matter_aliases(tmp_path: Path, field: str, value: str, attr: str,
                              expected: str) -> None:
    article = one_article(write(tmp_path / "a.md", f"---\n{field}: {value}\n---\nBody.\n"))
    assert getattr(article, attr) == expected


def test_front_matter_never_invents_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "seed.md", (
        "---\npublished: 2022-06\npublished_approximate: true\nurl: not a url\n"
        "author: {nested: [1, 2]}\n---\nBeijing Hyundai news.\n"))
    article = one_article(path)
    assert (article.title, article.source, article.author, article.url) == (None, None, None, None)
    assert article.published == "2022-06"
    assert article.key == str(path)


@pytest.mark.parametrize(("value", "expected"), [
    ("2019-02-30", None),  # not a day: dropped, not a crash in the YAML timestamp constructor
    ("sometime in 2019", None),
    ("1656633600", "2022-07-01"),  # unix seconds, as dumps write them
    ("1656633600000", "2022-07-01"),  # unix milliseconds
    ("-5", None),
    ("20220701", "2022-07-01"),
    ("'20220231'", None),
])
def test_front_matter_odd_dates(tmp_path: Path, value: str, expected: str | None) -> None:
    article = one_article(write(tmp_path / "a.md", f"---\ndate: {value}\n---\nBody.\n"))
    assert article.published == expected


def test_markdown_title_from_first_heading_and_text_without_title(tmp_path: Path) -> None:
    md = one_article(write(tmp_path / "a.md", "\n\nIntro line.\n\n# The Title ##\n\nBody.\n"))
    assert md.title == "The Title"
    assert md.text == "Intro line.\n\n# The Title ##\n\nBody."
    txt = one_article(write(tmp_path / "b.txt", "# Not a title in a .txt\nBody.\n"))
    assert txt.title is None
    fm = one_article(write(tmp_path / "c.markdown", "---\n---\n# Heading\ntext\n"))
    assert fm.title == "Heading"
    assert one_article(write(tmp_path / "d.md", "# Why C#\nBody")).title == "Why C#"


def test_markdown_heading_scan_is_linear(tmp_path: Path) -> None:
    # A hostile heading line of spaces must not make the title search backtrack quadratically.
    path = write(tmp_path / "a.md", "# " + " \t" * 200_000 + "x #\n" + "#" + " " * 200_000)
    started = time.perf_counter()
    assert one_article(path).title == "x"
    assert time.perf_counter() - started < 1.0


def test_text_hygiene_before_storing(tmp_path: Path) -> None:
    raw = ("Cafe\u0301 re\u200bport\r\nsecond\u202e line\x07 here\rthird\u2066 line\x0bfourth\t"
           "tab\ufeff end\U000e0049\U000e0047\U000e004e")
    article = one_article(write(tmp_path / "a.txt", raw))
    assert article.text == "Caf\u00e9 report\nsecond line here\nthird line\nfourth\ttab end"
    assert clean_text("  \u200b \r\n x \u2028 y ") == "x \n y"
    title = one_article(write(tmp_path / "b.md", "---\ntitle: \"A\\u200b\\nB\\u202e C\"\n---\nx"))
    assert title.title == "A B C"


@pytest.mark.parametrize(("content", "line", "reason"), [
    ("---\ntitle: [oops\n---\nBody\n", 3, "bad front matter: did not find expected ',' or ']'"),
    ("---\ntitle: a\n  bad: indent\n---\nBody\n", 3,
     "bad front matter: mapping values are not allowed in this context"),
    ("---\ntitle: x\nBody without the closing line\n", 1,
     "front matter is not closed: add a '---' line after it"),
    ("---\ntitle: x\n---\n \n\u200b\n", None, "empty article"),
    ("   \n\t\n", None, "empty article"),
    pytest.param("---\nn: " + "9" * 5000 + "\n---\nBody\n", 1,
                 "bad front matter: Exceeds the limit", id="huge-int"),
])
def test_front_matter_problems_are_skipped(tmp_path: Path, content: str, line: int | None,
                                           reason: str) -> None:
    path = write(tmp_path / "bad.md", content)
    skip = one_skip(path)
    assert skip.line == line
    assert skip.reason.startswith(reason)
    where = f"{path}:{line}" if line else str(path)
    assert str(skip).startswith(f"{where}: {reason}")


# --- Bytes, encodings, file kinds -------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.md", "a.txt", "a.html", "a.json", "a.jsonl"])
def test_file_level_problems_for_every_format(tmp_path: Path, name: str) -> None:
    cases = {
        b"": "empty file",
        b"text\x00\x01\x02 more": "binary file",
        b"\xff\xfet\x00e\x00": "UTF-16 text: save the file as UTF-8",
    }
    for content, reason in cases.items():
        path = write(tmp_path / name, content)
        assert [str(s) for s in read(path)] == [f"{path}: {reason}"]


@pytest.mark.parametrize("name", ["a.md", "a.txt", "a.html", "a.json"])
def test_invalid_utf8_is_reported_with_its_offset(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, b'{"text": "caf\xc3\xa9 ok \xe9 bad"}')
    assert str(one_skip(path)) == f"{path}: not valid UTF-8 (byte offset 19)"


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    article = one_article(write(tmp_path / "a.md", b"\xef\xbb\xbf---\ntitle: T\n---\nBody"))
    assert (article.title, article.text) == ("T", "Body")


def test_html_in_its_declared_charset(tmp_path: Path) -> None:
    html = ('<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head>'
            '<body><p>Le caf\xe9 est ouvert \x93toute la journ\xe9e\x94, selon le propri\xe9taire.'
            '</p></body></html>').encode("latin-1")
    article = one_article(write(tmp_path / "a.html", html))
    assert "Le caf\u00e9 est ouvert \u201ctoute la journ\u00e9e\u201d" in article.text
    undeclared = write(tmp_path / "b.html", b"<p>caf\xe9</p>")
    assert str(one_skip(undeclared)) == f"{undeclared}: not valid UTF-8 (byte offset 6)"
    unknown = write(tmp_path / "c.html", b'<meta charset="klingon"><p>caf\xe9</p>')
    assert str(one_skip(unknown)) == (
        f"{unknown}: not valid UTF-8 (byte offset 30); its declared charset 'klingon' is unknown")
    wrong = write(tmp_path / "d.html", b'<meta charset="ascii"><p>caf\xe9</p>')
    assert str(one_skip(wrong)) == f"{wrong}: not valid ascii (byte offset 28)"
    claims_utf8 = write(tmp_path / "e.html", b'<meta charset="UTF8"><p>caf\xe9</p>')
    assert str(one_skip(claims_utf8)) == f"{claims_utf8}: not valid UTF-8 (byte offset 27)"


def test_unreadable_things_are_skipped_with_the_os_reason(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert str(one_skip(folder)) == f"{folder}: not a regular file (a directory)"
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)  # opened non-blocking: must not hang waiting for a writer
    assert str(one_skip(fifo)) == f"{fifo}: not a regular file (a FIFO, socket or device)"
    loop = tmp_path / "self.md"
    loop.symlink_to("self.md")  # ELOOP fails even for root
    assert str(one_skip(loop)) == f"{loop}: cannot read: Too many levels of symbolic links"
    missing = tmp_path / "gone.md"
    assert str(one_skip(missing)) == f"{missing}: cannot read: No such file or directory"


def test_permission_denied_really_fails() -> None:
    # Root reads a chmod 000 file anyway, so as root the walk runs with the effective uid of
    # `nobody` (65534) and the kernel refuses for real, as it would for an ordinary user. The
    # folder is made under /tmp because pytest's tmp_path parents are closed to other users.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        write(root / "open.md", "Readable.").chmod(0o644)
        write(root / "secret.md", "Secret.").chmod(0)
        write(root / "locked" / "inner.md", "Inner.")
        (root / "locked").chmod(0)
        if os.geteuid() == 0:
            os.seteuid(65534)
            try:
                items = list(read_articles([root]))
            finally:
                os.seteuid(0)
        else:
            items = list(read_articles([root]))
        (root / "locked").chmod(0o755)
    assert [x.text if isinstance(x, Article) else str(x) for x in items] == [
        f"{root}/locked: cannot list directory: Permission denied",
        "Readable.",
        f"{root}/secret.md: cannot read: Permission denied",
    ]


def test_unsupported_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "report.pdf", b"%PDF-1.7")
    expected = (f"{path}: unsupported file type ('.pdf'); "
                "newsbot reads .md, .markdown, .txt, .html, .htm, .json, .jsonl")
    assert [str(s) for s in read(path)] == [expected]
    assert [str(s) for s in iter_files([path])] == [expected]
    assert list(iter_files([tmp_path])) == []  # inside a folder it is silently left out


def test_huge_file_is_skipped_fast_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:
        handle.write(b"---\ntitle: big\n---\n")
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper, instant to make
    tracemalloc.start()
    started = time.perf_counter()
    try:
        items = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 1024 * 1024
    assert [str(s) for s in items] == [
        f"{path}: file too large (100 MB; the limit is 50 MB)"]


def test_file_size_limit_can_be_lowered(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "x" * 3000)
    skip = next(read_file(path, max_file_bytes=1024))
    assert str(skip) == f"{path}: file too large (3,000 bytes; the limit is 1,024 bytes)"


# --- HTML -------------------------------------------------------------------------------------


def test_html_main_text_and_metadata_without_script_or_style() -> None:
    path = DATA / "hostile.html"
    article = one_article(path)
    assert article.title == "Licence for Beijing Hyundai changes hands"
    assert article.source == "Harbour Post"
    assert article.author == "Mei Lin"
    assert article.published == "2022-07-01"
    assert article.url == "https://harbour-post.example/business/2022/07/01/beijing-hyundai-licence"
    assert article.path == str(path)
    assert "now held by Beijing Automotive, the city's regulator said on Friday" in article.text
    assert "The regulator added that a review" in article.text
    for marker in ("MARKER", "ignore", "<!channel>", "evil.example", "window.", "display:", "Home"):
        assert marker not in article.text
    assert not BAD_CHARS & set(article.text)


def test_html_date_is_not_guessed_from_the_text(tmp_path: Path) -> None:
    path = write(tmp_path / "a.htm", (
        "<html><head><title>Talks</title></head><body><article><p>On March 3, 2019, the partners "
        "first discussed a new agreement, according to people familiar with the matter.</p>"
        "</article></body></html>"))
    article = one_article(path)
    assert (article.title, article.published, article.source, article.url) == (
        "Talks", None, None, None)


def test_html_fallback_to_body_text(tmp_path: Path) -> None:
    # trafilatura finds no main text in a bare fragment; the lxml fallback still drops scripts.
    path = write(tmp_path / "a.html", "<p>Tiny fragment.</p><script>evil()</script>"
                                      "<style>p{}</style><div>Second block</div>")
    assert one_article(path).text == "Tiny fragment.\nSecond block"


@pytest.mark.parametrize("html", [
    "<html><head><title>Only a title</title></head><body></body></html>",
    "<html><body><script>only()</script><style>x{}</style></body></html>",
    "<!-- a comment -->",
])
def test_html_without_text_is_skipped(tmp_path: Path, html: str) -> None:
    path = write(tmp_path / "a.html", html)
    assert str(one_skip(path)) == f"{path}: no article text found in the HTML"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://e.example/a b|c", "https://e.example/a%20b%7Cc"),
    ("  https://e.example/K\u00f6ln?q=1#top ", "https://e.example/K\u00f6ln?q=1#top"),
    ("HTTP://E.EXAMPLE/x", "HTTP://E.EXAMPLE/x"),
    ("ftp://e.example/a", None),
    ("e.example/a", None),
    ("https://", None),
    ("http://[::1", None),
])
def test_urls_are_kept_only_when_absolute_http(tmp_path: Path, url: str,
                                                expected: str | None) -> None:
    path = write(tmp_path / "a.jsonl", json.dumps({"text": "x", "url": url}))
    assert one_article(path).url == expected


def test_html_rejects_non_http_canonical_urls(tmp_path: Path) -> None:
    path = write(tmp_path / "a.html", (
        '<html><head><link rel="canonical" href="javascript:alert(1)"></head><body><article>'
        "<p>A paragraph long enough for the extractor to keep it as the main text.</p>"
        "</article></body></html>"))
    article = one_article(path)
    assert article.url is None and article.key == str(path)


# --- JSON Lines and JSON ----------------------------------------------------------------------


def test_jsonl_records_aliases_and_line_numbers(tmp_path: Path) -> None:
    lines = [
        {"text": "First.", "title": "One", "source": "Wire", "published": "2022-07-01",
         "url": "https://e.example/1"},
        {"body": "Second.", "headline": "Two", "outlet": "Post", "publish_date": "2022-07-02",
         "link": "https://e.example/2", "authors": ["A", {"name": "B"}, 3]},
        {"content": "Third.", "site_name": "Site", "date": "2022-07-03"},
        {"article": "Fourth.", "publisher": {"name": "Pub"}, "date_publish": "2022-07-04 10:00:00"},
        {"maintext": "Fifth.", "source_domain": "five.example", "pubdate": 1656633600},
    ]
    path = write(tmp_path / "a.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    got = read(path)
    assert all(isinstance(a, Article) for a in got)
    assert [(a.text, a.line) for a in got if isinstance(a, Article)] == [
        ("First.", 1), ("Second.", 2), ("Third.", 3), ("Fourth.", 4), ("Fifth.", 5)]
    first, second, third, fourth, fifth = (a for a in got if isinstance(a, Article))
    assert (first.title, first.source, first.published, first.url) == (
        "One", "Wire", "2022-07-01", "https://e.example/1")
    assert (second.title, second.source, second.author, second.url) == (
        "Two", "Post", "A, B, 3", "https://e.example/2")
    assert (third.source, third.published, third.key) == ("Site", "2022-07-03", f"{path}#L3")
    assert (fourth.source, fourth.published) == ("Pub", "2022-07-04")
    assert (fifth.source, fifth.published) == ("five.example", "2022-07-01")


def test_jsonl_bad_lines_are_skipped_and_the_rest_read(tmp_path: Path) -> None:
    content = (b'{"text": "good one"}\r\n'
               b"not json\n"
               b"[1, 2]\n"
               b'{"title": "no text"}\n'
               b'{"text": "  \\u200b "}\n'
               b'{"text": ["a", "b"]}\n'
               b'{"text": "caf\xe9"}\n'
               b"\n"
               b'{"text": "' + b"[" * 5 + b'", "n": ' + b"9" * 5000 + b"}\n"
               b'{"text": "good two"}')  # no newline at the end
    path = write(tmp_path / "a.jsonl", content)
    got = [str(x) if isinstance(x, Skipped) else (x.text, x.line) for x in read(path)]
    assert got == [
        ("good one", 1),
        f"{path}:2: invalid JSON: Expecting value (column 1)",
        f"{path}:3: not a JSON object (found a list)",
        f"{path}:4: no text field (expected one of: {', '.join(TEXT_FIELDS)})",
        f"{path}:5: empty article",
        f"{path}:6: the 'text' field is a list, not text",
        f"{path}:7: not valid UTF-8 (byte offset {content.index(bytes([0xE9]))})",
        f"{path}:9: invalid JSON: Exceeds the limit (4300 digits) for integer string conversion:"
        " value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit",
        ("good two", 10),
    ]


def test_jsonl_without_records(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", "\n  \n\n")
    assert [str(s) for s in read(path)] == [f"{path}: no records"]


def test_jsonl_bom_on_the_first_line(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", b'\xef\xbb\xbf{"text": "x"}\n')
    assert one_article(path).text == "x"


def test_jsonl_long_line_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    long_size = 10 * 1024 * 1024
    with path.open("wb") as handle:
        handle.write(b'{"text": "before"}\n{"text": "')
        handle.write(b"x" * (long_size - 12))
        handle.write(b'"}\n{"text": "after"}\n')
    tracemalloc.start()
    started = time.perf_counter()
    try:
        got = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert [str(x) if isinstance(x, Skipped) else (x.text, x.line) for x in got] == [
        ("before", 1),
        f"{path}:2: line too long (10,485,760 bytes; the limit is {MAX_LINE_BYTES:,})",
        ("after", 3),
    ]
    # A too-long line is kept only until it passes the limit, then counted and dropped: the peak
    # is the limit plus one read block, never the line.
    assert peak < MAX_LINE_BYTES + 256 * 1024 < long_size
    assert elapsed < 5.0


def test_jsonl_line_limit_without_a_final_newline(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", '{"text": "ok"}\n{"text": "' + "y" * 300 + '"}')
    got = [str(x) if isinstance(x, Skipped) else x.text
           for x in read_file(path, max_line_bytes=100)]
    assert got == ["ok", f"{path}:2: line too long (312 bytes; the limit is 100)"]
    alone = write(tmp_path / "b.jsonl", "z" * 300)
    assert [str(x) for x in read_file(alone, max_line_bytes=100)] == [
        f"{alone}:1: line too long (300 bytes; the limit is 100)"]  # and no "no records" on top


def test_huge_binary_jsonl_is_skipped_fast(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    started = time.perf_counter()
    assert [str(s) for s in read(path)] == [f"{path}: binary file"]
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("wrapper", ["articles", "items", "data"])
def test_json_wrapped_lists(tmp_path: Path, wrapper: str) -> None:
    records = [{"text": "A.", "url": "https://e.example/a"}, {"text": "B."}, {"title": "x"}, 7]
    path = write(tmp_path / "a.json", json.dumps({wrapper: records, "count": 4}))
    got = [str(x) if isinstance(x, Skipped) else (x.text, x.key) for x in read(path)]
    assert got == [
        ("A.", "https://e.example/a"),
        ("B.", f"{path}#L2"),  # a record's number stands in for a line: keys stay distinct
        f"{path}: record 3: no text field (expected one of: {', '.join(TEXT_FIELDS)})",
        f"{path}: record 4: not a JSON object (found a number)",
    ]


def test_json_single_object_and_top_level_list(tmp_path: Path) -> None:
    single = one_article(write(tmp_path / "one.json",
                               '{"Text": "Solo.", "Title": "T", "publish_date": "2022-07-01"}'))
    assert (single.text, single.title, single.published, single.line, single.key) == (
        "Solo.", "T", "2022-07-01", None, str(tmp_path / "one.json"))
    listed = read(write(tmp_path / "list.json", '[{"text": "a"}, {"content": "b"}]'))
    assert [(a.text, a.line) for a in listed if isinstance(a, Article)] == [("a", 1), ("b", 2)]


@pytest.mark.parametrize(("content", "expected"), [
    ('{"text": "a",\n  "oops"}', ":2: invalid JSON: Expecting ':' delimiter (column 9)"),
    ("42", ": JSON holds a number: expected an object or a list of objects"),
    ("[]", ": no records"),
    ('{"items": []}', ": no records"),
    ('{"text": null, "body": 5}', ": the 'body' field is a number, not text"),
    pytest.param("[" * 100_000 + "]" * 100_000, ": invalid JSON: maximum recursion depth exceeded",
                 id="deep-nesting"),
])
def test_json_problems(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path / "a.json", content)
    assert str(one_skip(path)).startswith(f"{path}{expected}")


# --- Walking folders ---------------------------------------------------------------------------


def test_iter_files_sorted_recursive_skips_hidden_and_unknown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for rel in ("b.md", "a/z.txt", "a/y.jsonl", "c.html", "d.htm", "e.json", "f.markdown",
                "notes.docx", ".hidden.md", ".git/config.md", ".newsbot/x.md", "a/.cache/q.md",
                "A.MD"):
        write(tmp_path / "corpus" / rel, "x")
    monkeypatch.chdir(tmp_path)  # relative paths stay relative
    got = [str(p) for p in iter_files([Path("corpus")])]
    assert got == ["corpus/A.MD", "corpus/a/y.jsonl", "corpus/a/z.txt", "corpus/b.md",
                   "corpus/c.html", "corpus/d.htm", "corpus/e.json", "corpus/f.markdown"]
    explicit = [str(p) for p in iter_files([Path("corpus/.hidden.md"), Path("corpus/b.md"),
                                            Path("corpus")])]
    assert explicit[:2] == ["corpus/.hidden.md", "corpus/b.md"]
    assert "corpus/b.md" not in explicit[2:]  # each file once, even when named twice


def test_symlink_loops_are_reported_and_the_walk_ends(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write(root / "sub" / "a.md", "A")
    (root / "sub" / "up").symlink_to("..")
    (root / "sub" / "here").symlink_to(".")
    write(tmp_path / "elsewhere" / "b.md", "B")
    (root / "link").symlink_to(tmp_path / "elsewhere")
    (root / "link2").symlink_to(tmp_path / "elsewhere")
    got = [str(x) for x in iter_files([root])]
    assert got == [
        f"{root}/link/b.md",  # link2 is the same folder again: read once
        f"{root}/sub/a.md",
        f"{root}/sub/here: symlink loop: it leads back to {root}/sub",
        f"{root}/sub/up: symlink loop: it leads back to {root}",
    ]


def test_unlistable_folder_and_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert [str(x) for x in iter_files([missing])] == [
        f"{missing}: cannot read: No such file or directory"]
    broken = tmp_path / "c" / "dangling.md"
    broken.parent.mkdir()
    broken.symlink_to(tmp_path / "gone.md")
    assert [str(x) for x in iter_files([broken.parent])] == [
        f"{broken}: cannot read: No such file or directory"]


def test_read_articles_goes_on_after_bad_files(tmp_path: Path) -> None:
    write(tmp_path / "1.md", "---\ntitle: [\n---\nx")
    write(tmp_path / "2.md", "Good article.")
    write(tmp_path / "3.jsonl", '{"text": "r1"}\nbad\n{"text": "r2"}\n')
    got = [x.text if isinstance(x, Article) else str(x) for x in read_articles([tmp_path])]
    assert got == [f"{tmp_path}/1.md:3: bad front matter: did not find expected node content",
                   "Good article.", "r1", f"{tmp_path}/3.jsonl:2: invalid JSON: Expecting value "
                   "(column 1)", "r2"]


def test_trafilatura_is_imported_only_for_html(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "Article.")
    code = ("import sys; from pathlib import Path; from bot.readers import read_articles; "
            f"n = len(list(read_articles([Path({str(tmp_path)!r})]))); "
            "print(n, 'trafilatura' in sys.modules, 'lxml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["1", "False", "False"]


# --- Properties: readers never raise, and keep only clean, non-empty text ---------------------

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
NASTY = st.lists(st.sampled_from(
    list("ab \n\r\t:-#[]{}'\"&*!|>%@`,?\\") + list(INVISIBLE) + ["\x00", "\x07", "\x85", "\u2028",
                                                               "e\u0301", "\u00e9", "---", "..."]),
    max_size=30).map("".join)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), NASTY,
                    st.dates().map(str))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(NASTY, inner, max_size=3)),
                      max_leaves=8)
FIELD_NAMES = st.sampled_from(list(TEXT_FIELDS) + [
    "title", "headline", "source", "outlet", "site_name", "author", "authors", "published", "date",
    "publish_date", "url", "link", "href", "published_approximate", "extra"])
RECORDS = st.dictionaries(st.one_of(FIELD_NAMES, NASTY), VALUES, max_size=6)


def check(items: list[Article | Skipped], path: Path) -> None:
    """The contract every reader keeps on any input."""
    assert items, "a file always yields an article or a reason"
    for item in items:
        assert isinstance(item, (Article, Skipped))
        if isinstance(item, Article):
            assert item.text and item.text == item.text.strip()
            assert not BAD_CHARS & set(item.text)
            assert unicodedata.is_normalized("NFC", item.text)
            assert item.path == str(path)
            for meta in (item.title, item.source, item.author, item.url):
                assert meta is None or (meta.strip() and not BAD_CHARS & set(meta))
        else:
            assert item.path == str(path) and item.reason


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prop")


@PROPERTY
@given(meta=st.one_of(RECORDS.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), NASTY),
       body=NASTY, close=st.sampled_from(["---", "...", "--- ", ""]))
def test_property_front_matter_reader(scratch: Path, meta: str, body: str, close: str) -> None:
    path = write(scratch / "p.md", f"---\n{meta}\n{close}\n{body}")
    check(read(path), path)


@PROPERTY
@given(lines=st.lists(st.one_of(RECORDS.map(json.dumps), NASTY, st.binary(max_size=40)),
                      max_size=6))
def test_property_jsonl_reader(scratch: Path, lines: list[str | bytes]) -> None:
    raw = b"\n".join(x if isinstance(x, bytes) else x.encode("utf-8") for x in lines)
    path = write(scratch / "p.jsonl", raw)
    items = read(path)
    check(items, path)
    count = raw.count(b"\n") + 1
    for item in items:
        assert item.line is None or 1 <= item.line <= count


HTML_TEXT = st.lists(st.sampled_from(list("abc xyz.,'\"&;#") + list(INVISIBLE) +
                                     ["\x01", "\u202e", "e\u0301", "&amp;", "&#8203;", "word "]),
                     max_size=30).map("".join)
HTML_PART = st.one_of(
    HTML_TEXT.map(lambda t: f"<p>{t}</p>"),
    HTML_TEXT.map(lambda t: f"<script>SCRIPTMARK {t.replace('<', '')}</script>"),
    HTML_TEXT.map(lambda t: f"<style>STYLEMARK {t.replace('<', '')}</style>"),
    HTML_TEXT.map(lambda t: f'<meta name="author" content="{t}">'),
    HTML_TEXT.map(lambda t: f"<title>{t}</title>"),
    st.sampled_from(["<div>", "</div>", "<article>", "</article>", "<b>", "</i>", "<br>", "<h1>",
                     "</p>", "<!-- c -->", "<", ">", "&", "<html>", "<body>", "</body>"]),
)


@PROPERTY
@given(parts=st.lists(HTML_PART, max_size=12))
def test_property_html_reader(scratch: Path, parts: list[str]) -> None:
    path = write(scratch / "p.html", "".join(parts))
    items = read(path)
    check(items, path)
    for item in items:
        if isinstance(item, Article):
            assert "SCRIPTMARK" not in item.text and "STYLEMARK" not in item.text


@PROPERTY
@given(data=st.binary(max_size=300),
       ext=st.sampled_from([".md", ".txt", ".html", ".json", ".jsonl"]))
def test_property_any_bytes(scratch: Path, data: bytes, ext: str) -> None:
    path = write(scratch / f"b{ext}", data)
    check(read(path), path)


def test_module_limits_are_read_at_call_time(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers_files, "MAX_FILE_BYTES", 10)
    path = write(tmp_path / "a.md", "x" * 20)
    assert read(path) == [Skipped(str(path), "file too large (20 bytes; the limit is 10 bytes)")]


# --- Dates (issue 15, point 1) ----------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2022-8-5", "2022-08-05"),  # was stored as the year "2022"
    ("2022-08-05", "2022-08-05"),
    ("2022/8/5", "2022-08-05"),
    ("2022-08-05T23:30:00-05:00", "2022-08-05"),  # the day as the article wrote it
    ('"Aug. 25, 2022"', "2022-08-25"),
    ('"August 25, 2022"', "2022-08-25"),
    ('"Thursday, August 25, 2022"', "2022-08-25"),
    ('"Thu, 25 Aug 2022 23:30:00 -0500"', "2022-08-25"),  # RSS/email
    ("25/08/2022", "2022-08-25"),  # only day first is a date
    ("08/25/2022", "2022-08-25"),  # only month first is a date
    ("25.08.2022", "2022-08-25"),
    ("12/12/2022", "2022-12-12"),  # either order: the same day
    ('"Sept. 5, 2022"', "2022-09-05"),
    ('"Sept 5 2022"', "2022-09-05"),
    ('"August 5th, 2022"', "2022-08-05"),
    ('"5th of September, 2022"', "2022-09-05"),
    ('"1st Sept 2022"', "2022-09-01"),
    ("5 August 2022", "2022-08-05"),
    ("25 août 2022", "2022-08-25"),  # other languages too
    ("5. August 2022", "2022-08-05"),
    ("August 2022", "2022-08"),  # no day named: month precision, no invented day
    ("2022-8", "2022-08"),
    ("2022", "2022"),
])
def test_dates_are_read_to_their_day(tmp_path: Path, value: str, expected: str) -> None:
    path = write(tmp_path / "a.md", f"---\npublished: {value}\n---\nBody.\n")
    assert one_article(path).published == expected
    assert notices(path) == []


EITHER_WAY = ": the day and month could be either way round (2022-05-08 or 2022-08-05); write it as YYYY-MM-DD"


@pytest.mark.parametrize(("value", "why"), [
    ("05/08/2022", EITHER_WAY),
    ("5.8.2022", EITHER_WAY),
    ("05-08-2022", EITHER_WAY),
    ("sometime in 2019", " (write it as YYYY-MM-DD)"),
    ("yesterday", " (write it as YYYY-MM-DD)"),  # relative to what? never read against today
    ("August 25", " (write it as YYYY-MM-DD)"),  # no year: never taken from today
    ("2019-02-30", ": not a day of the calendar"),
    ("30/02/2022", " (write it as YYYY-MM-DD)"),
    ("2022-13", ": there is no month 13"),
])
def test_ambiguous_or_unreadable_dates_are_reported(tmp_path: Path, value: str, why: str) -> None:
    path = write(tmp_path / "a.md", f"---\npublished: {value}\n---\nBody.\n")
    article = one_article(path)
    assert article.published is None and article.text == "Body."
    assert notices(path) == [f'{path}: published: cannot read "{value}"{why}']


def test_date_reports_name_the_field_and_the_jsonl_line(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", "\n".join(json.dumps(r) for r in [
        {"text": "One.", "date": "Aug. 25, 2022"},
        {"text": "Two.", "publish_date": "05/08/2022"},
        {"text": "Three.", "published": True},
    ]) + "\n")
    items = read(path)
    assert [a.published for a in items if isinstance(a, Article)] == ["2022-08-25", None, None]
    assert notices(path) == [
        f'{path}:2: publish_date: cannot read "05/08/2022": the day and month could be either way '
        "round (2022-05-08 or 2022-08-05); write it as YYYY-MM-DD",
        f"{path}:3: published: cannot read a boolean",
    ]


def test_html_page_dates_still_come_from_the_page(tmp_path: Path) -> None:
    path = write(tmp_path / "a.html", (
        '<html><head><meta property="article:published_time" content="2022-08-25T09:00:00Z">'
        "<title>T</title></head><body><article><p>A paragraph long enough for the extractor to "
        "keep it as the main text of this page.</p></article></body></html>"))
    assert one_article(path).published == "2022-08-25"


# --- Invisible characters (point 6) -----------------------------------------------------------


@pytest.mark.parametrize("char", ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
                                  "\u200e", "\u202e", "\u2068"])
def test_invisible_characters_leave_article_text_and_metadata(tmp_path: Path, char: str) -> None:
    record = {"text": f"Rail operator ordered trains from Vor{char}haus{char}werke.",
              "title": f"Vor{char}haus{char}werke order", "source": f"Rail{char} Weekly"}
    article = one_article(write(tmp_path / "a.jsonl", json.dumps(record)))
    assert article.text == "Rail operator ordered trains from Vorhauswerke."
    assert (article.title, article.source) == ("Vorhauswerke order", "Rail Weekly")
    md = one_article(write(tmp_path / "b.md", f"# Vor{char}haus{char}werke\n\nTrains.\n"))
    assert md.title == "Vorhauswerke" and char not in md.text


def test_soft_hyphens_in_html_text(tmp_path: Path) -> None:
    path = write(tmp_path / "a.html", (
        "<html><body><article><p>The city council ordered twelve trams from Vor&shy;haus&shy;werke"
        " on Monday, the transport department said in a statement.</p></article></body></html>"))
    assert "ordered twelve trams from Vorhauswerke on Monday" in one_article(path).text


# --- HTML tables (point 4) and subscription prompts (point 9) ---------------------------------


RESULTS_PAGE = """<html><head><title>Velo Group results</title></head><body><article>
<h1>Velo Group results</h1>
<p>Velo Group reported its half-year results on Thursday, with weaker demand in several of its
markets across Europe over the summer months.</p>
{table}
<p>The company said it expects demand to recover next year as dealers run down their stocks.</p>
</article></body></html>"""


@pytest.mark.parametrize(("table", "rows"), [
    ("<table><tr><td>Bicycles</td><td>31.7 million euros</td><td>-9%</td></tr>"
     "<tr><td>Parts</td><td>12.1 million euros</td><td>+2%</td></tr></table>",
     ["Bicycles: 31.7 million euros; -9%.", "Parts: 12.1 million euros; +2%."]),
    ("<table><caption>Revenue by segment</caption><thead><tr><th>Segment</th><th>Revenue</th>"
     "<th>Change</th></tr></thead><tbody><tr><td>Bicycles</td><td>31.7 million euros</td>"
     "<td>-9%</td></tr></tbody></table>",
     ["Revenue by segment.", "Bicycles — Revenue: 31.7 million euros; Change: -9%."]),
    ("<table><tr><th>Segment</th><th>Revenue</th></tr><tr><th>Bicycles</th>"
     "<td>31.7 million euros</td></tr><tr><td></td><td></td></tr></table>",
     ["Bicycles — Revenue: 31.7 million euros."]),
])
def test_table_rows_are_kept_as_sentences(tmp_path: Path, table: str, rows: list[str]) -> None:
    text = one_article(write(tmp_path / "a.html", RESULTS_PAGE.format(table=table))).text
    lines = text.split("\n")
    for row in rows:
        assert row in lines
    assert lines.index(rows[-1]) < next(i for i, x in enumerate(lines) if x.startswith("The company"))


def test_layout_tables_are_left_to_the_extractor(tmp_path: Path) -> None:
    prose = "The transport minister said the new line would open in the spring. " * 8
    page = RESULTS_PAGE.format(table=f"<table><tr><td><p>{prose}</p></td></tr></table>")
    text = one_article(write(tmp_path / "a.html", page)).text
    assert "would open in the spring." in text and " — " not in text


@pytest.mark.parametrize("prompt", [
    "<p>Subscribe to keep reading. Get unlimited access for just 1 pound a week.</p>",
    '<div class="offer"><h3>Enjoy unlimited digital access</h3><p>Subscribe now for only $1 per '
    "week.</p><p>Cancel anytime.</p></div>",
    "<aside><p>Already a subscriber? Log in to continue reading.</p></aside>",
    "<section><p>This article is only available to subscribers.</p><a href='/s'>Start your free "
    "trial</a></section>",
    "<p>Sign in to keep reading this story.</p>",
])
def test_subscription_prompts_are_dropped(tmp_path: Path, prompt: str) -> None:
    page = RESULTS_PAGE.format(table=prompt)
    text = one_article(write(tmp_path / "a.html", page)).text
    assert "half-year results on Thursday" in text and "dealers run down their stocks" in text
    for word in ("subscri", "unlimited", "Cancel anytime", "Log in", "Sign in", "free trial"):
        assert word.lower() not in text.lower()


def test_news_about_subscriptions_is_kept(tmp_path: Path) -> None:
    news = ("<p>The streaming service said subscriptions rose 10% a month over the summer, and "
            "that readers who subscribe now pay 5 euros more than a year ago.</p>")
    text = one_article(write(tmp_path / "a.html", RESULTS_PAGE.format(table=news))).text
    assert "subscriptions rose 10% a month over the summer" in text


# --- Nested metadata and fields not read (point 10) -------------------------------------------


def test_metadata_nested_under_metadata_is_read(tmp_path: Path) -> None:
    record = {"text": "Ferry timetable changes.", "metadata": {
        "published": "Aug. 25, 2022", "source": "Harbour Post", "url": "https://h.example/ferry",
        "title": "Ferries", "author": "Mei Lin"}}
    for name, content in (("a.jsonl", json.dumps(record)), ("b.json", json.dumps([record])),
                          ("c.json", json.dumps(record))):
        article = one_article(write(tmp_path / name, content))
        assert (article.published, article.source, article.url, article.title, article.author) == (
            "2022-08-25", "Harbour Post", "https://h.example/ferry", "Ferries", "Mei Lin")


def test_langchain_document_shape(tmp_path: Path) -> None:
    record = {"page_content": "Ferry timetable changes.", "type": "Document",
              "metadata": {"source": "https://h.example/ferry", "title": "Ferries"}}
    path = write(tmp_path / "a.jsonl", json.dumps(record))
    article = one_article(path)
    # LangChain loaders put the page's address in "source": it is the url, not an outlet.
    assert (article.text, article.url, article.source) == (
        "Ferry timetable changes.", "https://h.example/ferry", None)
    assert notices(path) == [f"{path}: fields not read (ignored): type (1 record)"]


def test_top_level_fields_win_over_nested_ones(tmp_path: Path) -> None:
    record = {"text": "x", "source": "Wire", "metadata": {"source": "Other", "published": "2022"}}
    article = one_article(write(tmp_path / "a.jsonl", json.dumps(record)))
    assert (article.source, article.published) == ("Wire", "2022")


def test_fields_not_read_are_reported_once_per_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", "\n".join(json.dumps(r) for r in [
        {"text": "a", "id": 1, "metadata": {"tags": ["x"]}},
        {"text": "b", "id": 2, "meta": "not an object"},
    ]))
    assert notices(path) == [
        f"{path}: fields not read (ignored): id (2 records), meta (a string, not an object) "
        "(1 record), metadata.tags (1 record)"]
    md = write(tmp_path / "b.md", "---\ntitle: T\ncategory: rail\npublished_approximate: true\n---\nx")
    assert notices(md) == [f"{md}: front matter fields not read (ignored): category"]


def test_nested_metadata_reaches_the_source_filter(tmp_path: Path, minilm: object) -> None:
    from bot.pipeline import Pipeline
    from bot.settings import Settings

    feed = write(tmp_path / "feed.jsonl", json.dumps({
        "text": "The island ferry timetable changes on Monday, the operator said.",
        "metadata": {"source": "Harbour Post", "published": "2023-02-01",
                     "url": "https://harbour.example/ferry"}}))
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=minilm)  # type: ignore[arg-type]
    report = pipeline.ingest([feed])
    assert report.added == 1 and not report.skipped
    hits = pipeline.retrieve(pipeline.query("ferry timetable", sources=["Harbour Post"]))
    assert [h.passage.article_id for h in hits] == ["https://harbour.example/ferry"]
    assert hits[0].passage.published == "2023-02-01"


# --- One url twice in one file (point 8) ------------------------------------------------------


ISLAY = [
    {"text": "The ferry operator suspended its Islay route.", "url": "https://ferry.example/islay",
     "published": "2023-02-01"},
    {"text": "The ferry operator resumed its Islay route.", "url": "https://ferry.example/islay",
     "published": "2023-02-03"},
]


def jsonl(records: list[dict[str, object]]) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_the_newer_record_of_a_url_wins(tmp_path: Path, order: list[int]) -> None:
    path = write(tmp_path / "a.jsonl", jsonl([ISLAY[i] for i in order]))
    article = one_article(path)
    assert article.text == "The ferry operator resumed its Islay route."
    newer, older = order.index(1) + 1, order.index(0) + 1
    assert notices(path) == [
        f"{path}:{newer}: replaces line {older}, which has the same url (older published date)"]


def test_same_date_or_undated_later_line_wins(tmp_path: Path) -> None:
    same = [{**ISLAY[0], "published": "2023-02-03"}, ISLAY[1]]
    path = write(tmp_path / "a.jsonl", jsonl(same))
    assert one_article(path).text == ISLAY[1]["text"]
    assert notices(path) == [f"{path}:2: replaces line 1, which has the same url "
                             "(same published date; the later one is kept)"]
    undated = [{k: v for k, v in r.items() if k != "published"} for r in ISLAY]
    path = write(tmp_path / "b.jsonl", jsonl(undated))
    assert one_article(path).text == ISLAY[1]["text"]
    assert "no published date to compare" in notices(path)[0]


def test_three_copies_and_other_records_in_a_json_list(tmp_path: Path) -> None:
    records = [ISLAY[0], {"text": "Other news."}, ISLAY[1],
               {**ISLAY[0], "text": "An old copy.", "published": "2023-01-01"}]
    path = write(tmp_path / "a.json", json.dumps(records))
    items = read(path)
    assert [a.text for a in items if isinstance(a, Article)] == ["Other news.", ISLAY[1]["text"]]
    assert notices(path) == [
        f"{path}: record 3: replaces record 1, which has the same url (older published date)",
        f"{path}: record 3: replaces record 4, which has the same url (older published date)"]


def test_ingest_keeps_the_newer_record_and_reports_the_replaced_one(tmp_path: Path,
                                                                    minilm: object) -> None:
    from bot.pipeline import Pipeline
    from bot.settings import Settings

    feed = write(tmp_path / "feed.jsonl", jsonl(ISLAY))
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=minilm)  # type: ignore[arg-type]
    report = pipeline.ingest([feed])
    assert (report.added, report.skipped) == (1, [])
    assert report.to_json()["notices"] == [
        f"{feed}:2: replaces line 1, which has the same url (older published date)"]
    assert "1 notices" in report.summary()
    answer = pipeline.ask("What happened to the Islay route?")
    assert not answer.abstained and "resumed" in answer.text and "suspended" not in answer.text


def test_ingest_of_soft_hyphenated_text_answers_plain_questions(tmp_path: Path,
                                                                minilm: object) -> None:
    from bot.pipeline import Pipeline
    from bot.settings import Settings

    feed = write(tmp_path / "feed.jsonl", json.dumps({
        "text": "Nordbahn ordered forty regional trains from Vor\u00adhaus\u00adwerke, the "
                "company said on Tuesday.", "url": "https://rail.example/order"}))
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=minilm)  # type: ignore[arg-type]
    pipeline.ingest([feed])
    answer = pipeline.ask("Who ordered trains from Vorhauswerke?")
    assert not answer.abstained and "Nordbahn" in answer.text
    assert answer.citations and all("\u00ad" not in c.quote for c in answer.citations)


# --- A leading thematic break (point 11) ------------------------------------------------------


@pytest.mark.parametrize(("content", "found"), [
    ("---\n\nThe council met on Monday.\n\n---\n\nIt voted for the tram.\n", "a string"),
    ("---\nThe council met on Monday.\nIt voted for the tram.\n", "no closing '---' line"),
    ("---\n- first point\n- second point\n---\nThe council met.\n", "a list"),
    ("---\nThe council: met on Monday\n---\nMore text.\n", "'The council' is not a field name"),
    ("---\n\"An unclosed quote\n---\nMore text.\n", "malformed YAML"),
])
def test_a_leading_thematic_break_is_read_as_text(tmp_path: Path, content: str,
                                                  found: str) -> None:
    path = write(tmp_path / "a.md", content)
    article = one_article(path)
    assert article.text == content.strip()
    assert notices(path) == [
        f"{path}:1: the '---' on line 1 opens no front matter (what follows is not a mapping of "
        f"fields: {found}): read the whole file as text"]


def test_a_thematic_break_file_keeps_its_heading_title(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "---\n\n# Tram vote\n\nThe council voted.\n")
    assert one_article(path).title == "Tram vote"


@pytest.mark.parametrize(("value", "expected"), [
    ("2022-8-5", "2022-08-05"), ("2022-8", "2022-08"), ("2022-08-05T10:00Z", "2022-08-05"),
    ("2022", "2022"), ("2022-13-1", None),
])
def test_schema_parse_date_reads_unpadded_iso_dates(value: str, expected: str | None) -> None:
    # parse_date serves the other date sources (feeds, datasets): 2022-8-5 is a day there too.
    from bot.schema import parse_date

    assert parse_date(value) == expected
