"""sources.toml: sources, filters, intervals, [fetch] options, and errors naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError, FetchError
from bot.sources.config import load_sources, parse_every
from bot.sources.feeds import kind_of, parse_feed


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sources_and_fetch_options_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, """
[sources.wire]
url = "https://news.example/rss"
outlet = "Wire"
include = ["*/world/*"]
exclude = "*/video/*"
every = "30m"

[sources.local]
url = "corpus"

[fetch]
delay_s = 2
max_bytes = 1000
""")
    config = load_sources(path)
    wire, local = config.sources
    assert (wire.name, wire.kind, wire.outlet, wire.every_s) == ("wire", None, "Wire", 1800.0)
    assert wire.wants("https://news.example/world/a") and not wire.wants("https://news.example/world/video/a")
    assert not wire.wants("https://news.example/sport/a")
    assert local.kind == "folder"
    assert config.fetch.delay_s == 2.0 and config.fetch.max_bytes == 1000


@pytest.mark.parametrize(("text", "message"), [
    ("[sources.a]\nkind = 'feed'\n", r"sources\.toml: \[sources\.a\]: url is missing"),
    ("[sources.a]\nurl = 'https://x.example'\nkind = 'podcast'\n", r"kind = 'podcast' is unknown; valid: feed, sitemap, page, folder"),
    ("[sources.a]\nurl = 'https://x.example'\nevery = 'often'\n", r"\[sources\.a\]: every = 'often' is not an interval"),
    ("[sources.a]\nurl = 'https://x.example'\nfrequency = 1\n", r"unknown field\(s\) frequency"),
    ("[fetch]\nspeed = 3\n", r"\[fetch\] speed is unknown"),
    ("[sources.a\n", r"sources\.toml: not valid TOML"),
])
def test_errors_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sources(write(tmp_path, text))


def test_intervals() -> None:
    assert [parse_every(v) for v in ("90s", "15m", "2h", "1d", 600)] == [90, 900, 7200, 86400, 600]


def test_kind_detection() -> None:
    assert kind_of("application/rss+xml", b"<rss>") == "feed"
    assert kind_of("text/xml", b'<?xml version="1.0"?><urlset xmlns="x">') == "sitemap"
    assert kind_of("application/xml", b"<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>") == "feed"
    assert kind_of("text/html", b"<!doctype html><html>") == "page"


def test_feed_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text("<rss version='2.0'><channel><title>t</title><item><link>http://x.example/a</link></item></channel></rss>")
    with pytest.raises(FetchError, match=r"^http://h\.example/feed: (not RSS or Atom|malformed)"):
        parse_feed(str(secret).encode(), "http://h.example/feed")
