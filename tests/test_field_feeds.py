"""Field reports of issue 29 (second round), the feeds-and-pages kinds: a moved feed, feed dates as
written, encodings, compressed sitemaps, robots.txt limits, JSON Feed, markup in titles, short pages.

Everything is real: a local HTTP server on 127.0.0.1 (tests/sources_server.py), the real fetcher,
feedparser, lxml and trafilatura; syncs go into a real index (real Chroma and state DB; the hashing
embedder, since these tests are about reading, not meaning).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.embed import HashEmbedder
from bot.pipeline import Pipeline
from bot.schema import Passage
from bot.settings import Settings
from bot.sources.config import Source
from bot.sources.fetch import FetchOptions
from bot.sources.sync import sync_sources
from sources_server import site  # noqa: F401 - the fixture
from sources_server import Reply, Site, article_html, rss

FAST = FetchOptions(delay_s=0.0, backoff_s=0.05, retries=0, read_timeout_s=2.0, workers=4)


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())


def page(title: str, **kw: object) -> Reply:
    return Reply(article_html(title, seed=title, **kw).encode())  # type: ignore[arg-type]


def stored(pipeline: Pipeline) -> dict[str | None, Passage]:
    """The first stored passage of each article, by url."""
    passages = pipeline.state.passages(pipeline.state.all_chunk_ids())
    by_url: dict[str | None, Passage] = {}
    for p in sorted(passages.values(), key=lambda p: p.chunk_id):
        by_url.setdefault(p.url, p)
    return by_url


# --- 1. A feed that moved ----------------------------------------------------------------------


def test_a_moved_feeds_relative_links_resolve_against_where_it_moved(site: Site, pipeline: Pipeline) -> None:  # noqa: F811
    site.routes["/rss.xml"] = Reply(status=301, headers={"Location": "/news/feeds/rss.xml"})
    site.routes["/news/feeds/rss.xml"] = Reply(
        rss([("bridge-repairs", "Bridge repairs", None), ("/news/2026/ferry", "Ferry timetable", None)]),
        "application/rss+xml")
    site.routes["/atom"] = Reply(status=308, headers={"Location": "/news/feeds/atom.xml"})
    site.routes["/news/feeds/atom.xml"] = Reply(
        b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="../2026/">
        <title>Atom Gazette</title><id>urn:g</id><updated>2026-06-01T00:00:00Z</updated>
        <entry><title>Tram vote</title><link href="tram-vote"/><id>urn:1</id><updated>2026-06-01T09:00:00Z</updated>
        </entry></feed>""", "application/atom+xml")
    site.routes["/sitemap.xml"] = Reply(status=301, headers={"Location": "/news/maps/index.xml"})
    site.routes["/news/maps/index.xml"] = Reply(
        b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>urls.xml</loc></sitemap></sitemapindex>""", "application/xml")
    site.routes["/news/maps/urls.xml"] = Reply(
        b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc>../2026/museum</loc></url></urlset>""", "application/xml")
    for path in ("/news/feeds/bridge-repairs", "/news/2026/ferry", "/news/2026/tram-vote", "/news/2026/museum"):
        site.routes[path] = page(path.rsplit("/", 1)[1])
    sources = [Source("moved", site.url("/rss.xml")), Source("atom", site.url("/atom")),
               Source("maps", site.url("/sitemap.xml"))]
    report = sync_sources(pipeline, sources, options=FAST)
    assert report.failed == [] and [r.new for r in report.sources] == [2, 1, 1]
    assert set(stored(pipeline)) == {site.url(p) for p in (
        "/news/feeds/bridge-repairs", "/news/2026/ferry", "/news/2026/tram-vote", "/news/2026/museum")}
