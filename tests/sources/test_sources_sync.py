"""Syncing live sources into a real index (real Chroma and state DB; the hashing embedder, since these
tests are about fetching) from a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.embed import HashEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.sources.config import Source
from bot.sources.fetch import FetchOptions
from bot.sources.sync import source_status, sync_sources
from sources_server import site  # noqa: F401 - the fixture
from sources_server import Reply, Site, article_html, rss

FAST = FetchOptions(delay_s=0.0, backoff_s=0.05, retries=1, read_timeout_s=2.0, workers=4)


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())


def page(title: str, etag: str, **kw: str) -> Reply:
    return Reply(article_html(title, **kw).encode(), etag=etag)


def feed_site(site: Site, n: int = 3) -> Source:
    items = [(site.url(f"/a{i}"), f"Story {i}", "Tue, 02 Apr 2024 10:00:00 GMT") for i in range(n)]
    site.routes["/rss"] = Reply(rss(items), "application/rss+xml", etag='"f1"')
    for i in range(n):
        site.routes[f"/a{i}"] = page(f"Story number {i}", f'"p{i}"', seed=f"s{i}")
    return Source("gazette", site.url("/rss"))


def test_feed_first_sync_then_unchanged_feed_costs_one_304(site: Site, pipeline: Pipeline) -> None:
    source = feed_site(site)
    first = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert (first.new, first.updated, first.failed) == (3, 0, [])
    stored = pipeline.state.passages(pipeline.state.all_chunk_ids())
    by_url = {p.url: p for p in stored.values()}
    assert set(by_url) == {site.url(f"/a{i}") for i in range(3)}
    a0 = by_url[site.url("/a0")]
    assert a0.title == "Story number 0" and a0.source == "Harbour Gazette" and a0.published == "2024-04-02"

    before = len(site.log)
    chunks_before = pipeline.state.counts()["chunks"]
    again = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert again.requests == 1 and len(site.log) == before + 1  # robots.txt is kept from the first run
    assert site.log[-1][0] == "/rss" and site.log[-1][1]["If-None-Match"] == '"f1"'
    assert (again.new, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert pipeline.state.counts()["chunks"] == chunks_before


def test_changed_feed_refetches_pages_conditionally_and_updates_changed_ones(site: Site, pipeline: Pipeline) -> None:
    source = feed_site(site)
    sync_sources(pipeline, [source], options=FAST)
    docs_before = pipeline.state.sources_map()
    # The feed changes: a new item, a[1] edited, a[0] dropped from the feed, a[2] unchanged.
    items = [(site.url("/a1"), "Story 1", None), (site.url("/a2"), "Story 2", None), (site.url("/a3"), "Story 3", None)]
    site.routes["/rss"] = Reply(rss(items), "application/rss+xml", etag='"f2"')
    site.routes["/a1"] = page("Story number 1, corrected", '"p1b"', seed="edited")
    site.routes["/a3"] = page("Story number 3", '"p3"', seed="s3")
    report = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert (report.new, report.updated, report.unchanged, report.removed, report.failed) == (1, 1, 1, 0, [])
    assert site.hits("/a2")[-1]["If-None-Match"] == '"p2"'
    after = pipeline.state.sources_map()
    assert site.url("/a0") in after  # an item that left the feed stays
    assert after[site.url("/a2")] == docs_before[site.url("/a2")]
    assert after[site.url("/a1")] != docs_before[site.url("/a1")]


def test_page_answering_404_is_removed_at_next_sync(site: Site, pipeline: Pipeline) -> None:
    source = feed_site(site)
    sync_sources(pipeline, [source], options=FAST)
    del site.routes["/a1"]
    site.routes["/rss"] = Reply(site.routes["/rss"].body, "application/rss+xml", etag='"f2"')  # type: ignore[union-attr]
    report = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert report.removed == 1 and report.unchanged == 2 and report.failed == []
    assert site.url("/a1") not in pipeline.state.sources_map()
    assert "1 removed" in report.summary()
    assert not any(p.url == site.url("/a1") for p in pipeline.state.passages(pipeline.state.all_chunk_ids()).values())


def test_canonical_url_is_the_id_and_page_metadata_wins(site: Site, pipeline: Pipeline) -> None:
    canonical = "https://gazette.example/2024/bridge"
    site.routes["/atom"] = Reply(
        f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
        <title>Atom Gazette</title><id>urn:x</id><updated>2024-05-01T00:00:00Z</updated>
        <entry><title>Feed title</title><link href="{site.url('/story?utm=feed')}"/><id>urn:1</id>
        <updated>2024-05-01T09:00:00Z</updated></entry></feed>""".encode(), "application/atom+xml")
    site.routes["/story?utm=feed"] = page("Page title", '"s"', canonical=canonical, date="2024-04-30", site="",
                                          author="Jane Roe")
    report = sync_sources(pipeline, [Source("atom", site.url("/atom"), outlet="The Gazette")], options=FAST).sources[0]
    assert report.new == 1 and not report.failed
    (p,) = pipeline.state.passages(pipeline.state.all_chunk_ids()[:1]).values()
    assert p.url == canonical and p.title == "Page title" and p.published == "2024-04-30" and p.source == "The Gazette"


def test_sitemap_index_and_google_news_sitemap(site: Site, pipeline: Pipeline) -> None:
    site.routes["/sitemap.xml"] = Reply(
        f"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>{site.url('/news.xml')}</loc></sitemap></sitemapindex>""".encode(), "application/xml")
    site.routes["/news.xml"] = Reply(
        f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
        <url><loc>{site.url('/n1')}</loc><news:news><news:publication><news:name>Sitemap Times</news:name>
        </news:publication><news:publication_date>2024-03-05T08:00:00+00:00</news:publication_date>
        <news:title>Ferry strike ends</news:title></news:news></url>
        <url><loc>{site.url('/video/v1')}</loc></url></urlset>""".encode(), "application/xml")
    bare = "<html><body><article>" + "".join(
        f"<p>The ferry workers union ended the strike after talks number {i} with the port authority.</p>"
        for i in range(8)) + "</article></body></html>"
    site.routes["/n1"] = Reply(bare.encode())
    source = Source("maps", site.url("/sitemap.xml"), exclude=("*/video/*",))
    report = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert report.new == 1 and not report.failed, report.failed
    assert site.hits("/video/v1") == []
    (p,) = pipeline.state.passages(pipeline.state.all_chunk_ids()[:1]).values()
    assert (p.title, p.published, p.source) == ("Ferry strike ends", "2024-03-05", "Sitemap Times")


def test_bad_inputs_are_reported_as_url_reason_and_nothing_is_lost(site: Site, pipeline: Pipeline) -> None:
    source = feed_site(site, n=2)
    sync_sources(pipeline, [source], options=FAST)
    keys_before = set(pipeline.state.sources_map())
    site.routes["/fake-feed"] = Reply(article_html("Not a feed").encode(), "text/html")
    site.routes["/broken.xml"] = Reply(b"<?xml version='1.0'?><rss version='2.0'><channel><item>", "application/rss+xml")
    site.routes["/pdf"] = Reply(b"%PDF-1.4 ...", "application/pdf")
    site.routes["/paywall"] = Reply(b"<html><body><article><h1>Big story</h1><p>Subscribe to continue reading."
                                    b" Already a subscriber? Log in.</p></article></body></html>")
    site.routes["/cookies"] = Reply(b"<html><body><div><p>We use cookies. Accept all cookies to continue.</p>"
                                    b"<button>Accept</button></div></body></html>")
    site.routes["/err"] = Reply(b"down", "text/plain", 500)
    site.routes["/loop"] = Reply(status=302, headers={"Location": "/loop"})
    site.routes["/big"] = Reply(b"<html>" + b"x" * 200_000 + b"</html>")
    site.routes["/slow"] = Reply(article_html("Slow").encode(), delay_s=2.0)
    bad = {"/fake-feed": "expected a feed, got an HTML page", "/broken.xml": "malformed feed XML",
           "/pdf": "not an HTML page (Content-Type application/pdf)", "/paywall": "no article text",
           "/cookies": "no article text", "/err": "HTTP 500 after 2 tries",
           "/loop": "redirect loop", "/big": "cap", "/slow": "read timeout", "/private/p": "disallowed by"}
    sources = [Source(path, site.url(path), kind="feed" if path in ("/fake-feed", "/broken.xml") else "page")
               for path in bad]
    options = FetchOptions(delay_s=0, backoff_s=0.05, retries=1, read_timeout_s=0.5, max_bytes=100_000)
    report = sync_sources(pipeline, sources, options=options)
    for r, (path, reason) in zip(report.sources, bad.items()):
        assert [str(s).split(": ", 1)[0] for s in r.failed] == [site.url(path)], r.failed
        assert reason in r.failed[0].reason, (path, r.failed[0].reason)
    assert set(pipeline.state.sources_map()) == keys_before
    status = {row["name"]: row for row in source_status(pipeline, sources)}
    assert status["/pdf"]["last_error"].endswith("not an HTML page (Content-Type application/pdf)")


def test_failed_page_keeps_the_feed_unconditional_next_time(site: Site, pipeline: Pipeline) -> None:
    source = feed_site(site)
    site.routes["/a2"] = Reply(b"down", "text/plain", 503)
    first = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert first.new == 2 and len(first.failed) == 1
    site.routes["/a2"] = page("Story number 2", '"p2"', seed="s2")
    second = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert "If-None-Match" not in site.hits("/rss")[-1]
    assert (second.new, second.unchanged, second.failed) == (1, 2, [])


def test_declared_charset_is_used(site: Site, pipeline: Pipeline) -> None:
    html = article_html("Café Zürich reopens", seed="Müller señor").replace("<p>", "<p>Straße ")
    site.routes["/latin"] = Reply(html.encode("iso-8859-1"), "text/html; charset=iso-8859-1")
    site.routes["/meta"] = Reply(article_html("Café Zürich reopens", charset_meta="windows-1252", seed="Müller").encode("cp1252"), "text/html")
    report = sync_sources(pipeline, [Source("l", site.url("/latin"), kind="page"), Source("m", site.url("/meta"), kind="page")],
                          options=FAST)
    assert not report.failed
    texts = {p.url: p for p in pipeline.state.passages(pipeline.state.all_chunk_ids()).values()}
    assert texts[site.url("/latin")].title == "Café Zürich reopens" and "Straße" in texts[site.url("/latin")].text
    assert texts[site.url("/meta")].title == "Café Zürich reopens" and "Müller" in texts[site.url("/meta")].text


def test_every_interval_skips_sources_not_due(site: Site, pipeline: Pipeline) -> None:
    source = Source("gazette", feed_site(site).url, every_s=3600)
    assert sync_sources(pipeline, [source], options=FAST).sources[0].new == 3
    later = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert later.not_due and later.requests == 0 and "not due" in later.summary()
    forced = sync_sources(pipeline, [source], options=FAST, force=True).sources[0]
    assert not forced.not_due and forced.unchanged == 3


def test_folder_source_is_synced_like_ingest(tmp_path: Path, pipeline: Pipeline) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Ferry\n---\n" + "The ferry workers ended the strike. " * 20, encoding="utf-8")
    source = Source("notes", str(folder), kind="folder")
    assert sync_sources(pipeline, [source], options=FAST).sources[0].new == 1
    (folder / "a.md").unlink()
    report = sync_sources(pipeline, [source], options=FAST).sources[0]
    assert report.removed == 1 and report.requests == 0
    assert source_status(pipeline, [source])[0]["articles"] == 0
