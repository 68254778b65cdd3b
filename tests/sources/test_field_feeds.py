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


# --- 2. Feed dates as written --------------------------------------------------------------------

DATES = [
    ("mar., 02 juin 2026 08:00:00 +0200", "2026-06-02"),  # another language, as the README promises
    ("Tue, 02 Jun 2026 01:30:00 +0900", "2026-06-02"),  # not moved to UTC (the day before)
    ("Mon, 01 Jun 2026 23:30:00 -0500", "2026-06-01"),  # nor to the day after
    ("Di, 02 Jun 2026 08:00:00 +0200", "2026-06-02"),
    ("2026-06-02T01:30:00+09:00", "2026-06-02"),
]


@pytest.mark.parametrize(("written", "day"), DATES)
def test_a_feed_date_is_read_as_written_like_the_same_date_in_a_record(
        written: str, day: str, tmp_path: Path) -> None:
    from bot.readers import read_articles
    from bot.schema import Article
    from bot.sources.feeds import parse_feed

    (item,) = parse_feed(rss([("https://gazette.example/a", "A", written)]), "https://gazette.example/rss").items
    atom = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>G</title><id>urn:g</id><updated>{written}</updated>'
            f'<entry><title>A</title><link href="https://gazette.example/a"/><id>urn:a</id>'
            f"<published>{written}</published></entry></feed>").encode()
    (entry,) = parse_feed(atom, "https://gazette.example/atom").items
    record = tmp_path / "a.jsonl"
    record.write_text(f'{{"text": "Body.", "date": "{written}"}}\n', encoding="utf-8")
    (article,) = [a for a in read_articles([record]) if isinstance(a, Article)]
    assert (item.published, entry.published, article.published) == (day, day, day)
    assert item.date_problem is None and entry.date_problem is None


def test_a_feed_date_that_cannot_be_read_is_a_notice_and_the_article_is_still_indexed(
        site: Site, pipeline: Pipeline) -> None:  # noqa: F811
    site.routes["/rss"] = Reply(rss([(site.url("/a"), "Ferry", "mar., 02 juin 2026 08:00:00 +0200"),
                                     (site.url("/b"), "Tram", "02/06/2026")]), "application/rss+xml")
    site.routes["/a"] = page("Ferry timetable")
    site.routes["/b"] = page("Tram vote")
    seen: list[str] = []
    report = sync_sources(pipeline, [Source("g", site.url("/rss"))], options=FAST, on_skip=lambda s: seen.append(str(s)))
    (r,) = report.sources
    assert r.new == 2 and r.failed == []
    why = (f'{site.url("/b")}: pubDate in {site.url("/rss")}: cannot read "02/06/2026": the day and month could '
           "be either way round (2026-02-06 or 2026-06-02); write it as YYYY-MM-DD")
    assert [str(n) for n in r.notices] == seen == [why]
    assert "2 new, 0 updated, 0 unchanged, 0 removed, 0 failed, 1 notices (" in r.summary()
    assert r.to_json()["notices"] == [why]
    dates = {url: p.published for url, p in stored(pipeline).items()}
    assert dates == {site.url("/a"): "2026-06-02", site.url("/b"): None}


# --- 3. Encodings ----------------------------------------------------------------------------------

TITLE = "Zoë Brandt’s “harbour” plan"


def _encoded(text: str, codec: str, *, bom: bytes = b"") -> bytes:
    return bom + text.encode(codec)


ENCODINGS = {
    # (body, Content-Type, the title expected): BOM first, whatever the header and the page say
    "utf8-bom-served-as-latin1": (_encoded(article_html(TITLE, charset_meta="utf-8", seed="Zoë"), "utf-8",
                                           bom=b"\xef\xbb\xbf"), "text/html; charset=ISO-8859-1", TITLE),
    "utf16-bom-no-charset": (_encoded(article_html(TITLE, seed="Zoë"), "utf-16"), "text/html", TITLE),
    # a server default (ISO-8859-1) against the page's own valid declaration: the page wins
    "utf8-meta-served-as-latin1": (article_html(TITLE, charset_meta="utf-8", seed="Zoë").encode(),
                                   "text/html; charset=iso-8859-1", TITLE),
    # ... but not when the page is not what it declares
    "latin1-page-wrong-meta": (article_html("Zoë Brandt café plan", charset_meta="utf-8", seed="Zoë").encode("latin-1"),
                               "text/html; charset=ISO-8859-1", "Zoë Brandt café plan"),
    # ISO-8859-1 is read as windows-1252, as browsers do: curly quotes are not control characters
    "cp1252-served-as-latin1": (article_html(TITLE, seed="Zoë").encode("cp1252"), "text/html; charset=iso-8859-1", TITLE),
    # a header that cannot decode the page, a page declaration that can
    "cp1252-meta-served-as-utf8": (article_html(TITLE, charset_meta="windows-1252", seed="Zoë").encode("cp1252"),
                                   "text/html; charset=utf-8", TITLE),
    # a true header over a stale declaration
    "utf8-served-as-utf8-stale-meta": (article_html(TITLE, charset_meta="windows-1252", seed="Zoë").encode(),
                                       "text/html; charset=utf-8", TITLE),
    "xhtml-xml-declaration": (('<?xml version="1.0" encoding="ISO-8859-1"?>'
                               + article_html("Zoë Brandt café plan", seed="Zoë"))
                              .encode("latin-1"), "application/xhtml+xml", "Zoë Brandt café plan"),
    "utf8-undeclared": (article_html(TITLE, seed="Zoë").encode(), "text/html", TITLE),
    "cp1252-undeclared": (article_html(TITLE, seed="Zoë").encode("cp1252"), "text/html", TITLE),
}


@pytest.mark.parametrize("case", ENCODINGS)
def test_a_pages_encoding_is_decided_as_browsers_do(case: str, site: Site) -> None:  # noqa: F811
    from bot.sources.fetch import Fetcher
    from bot.sources.pages import page_article

    body, ctype, title = ENCODINGS[case]
    site.routes["/p"] = Reply(body, ctype)
    with Fetcher(FAST) as fetcher:
        article = page_article(fetcher.get(site.url("/p")))
    assert article.title == title
    assert "Zoë" in article.text and "Ã" not in article.text and "\ufffd" not in article.text


@pytest.mark.parametrize(("body", "ctype"), [
    (b"\xef\xbb\xbf" + rss([("https://g.example/a", TITLE, None)], title="Zoë Gazette"),
     "application/rss+xml; charset=ISO-8859-1"),
    (rss([("https://g.example/a", TITLE, None)], title="Zoë Gazette").decode()
     .replace('encoding="UTF-8"', 'encoding="windows-1252"')
     .encode("cp1252"), "text/xml"),
])
def test_a_feeds_encoding_follows_its_bom_and_declaration(body: bytes, ctype: str, site: Site) -> None:  # noqa: F811
    from bot.sources.feeds import parse_feed
    from bot.sources.fetch import Fetcher

    site.routes["/rss"] = Reply(body, ctype)
    with Fetcher(FAST) as fetcher:
        got = fetcher.get(site.url("/rss"))
    (item,) = parse_feed(got.body, got.url, content_type=got.content_type).items
    assert (item.title, item.outlet) == (TITLE, "Zoë Gazette")


# --- 4. Compressed sitemaps -------------------------------------------------------------------------


def test_a_sitemap_index_of_gzipped_sitemaps_is_read_within_the_size_cap(
        site: Site, pipeline: Pipeline) -> None:  # noqa: F811
    import gzip

    def index(*locs: str) -> Reply:
        maps = "".join(f"<sitemap><loc>{site.url(loc)}</loc></sitemap>" for loc in locs)
        return Reply(f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAP}">{maps}</sitemapindex>'.encode(),
                     "application/xml")

    def urlset(*paths: str, filler: int = 0) -> bytes:
        urls = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
        return f'<?xml version="1.0"?><urlset xmlns="{SITEMAP}">{urls}<!-- {"x" * filler} --></urlset>'.encode()

    site.routes["/index.xml"] = index("/news-1.xml.gz", "/news-2.xml.gz")
    site.routes["/news-1.xml.gz"] = Reply(gzip.compress(urlset("/ferry")), "application/x-gzip")
    site.routes["/news-2.xml.gz"] = Reply(gzip.compress(urlset("/tram")), "application/gzip",
                                          headers={"Content-Encoding": "identity"})
    site.routes["/big-index.xml"] = index("/big.xml.gz")
    site.routes["/big.xml.gz"] = Reply(gzip.compress(urlset("/ferry", filler=300_000)), "application/x-gzip")
    site.routes["/ferry"] = page("Ferry timetable")
    site.routes["/tram"] = page("Tram vote")
    options = FetchOptions(delay_s=0.0, retries=0, read_timeout_s=2.0, max_bytes=100_000)
    report = sync_sources(pipeline, [Source("maps", site.url("/index.xml")), Source("big", site.url("/big-index.xml"))],
                          options=options)
    maps, big = report.sources
    assert (maps.new, maps.failed) == (2, [])
    assert set(stored(pipeline)) == {site.url("/ferry"), site.url("/tram")}
    assert [str(s) for s in big.failed] == [f"{site.url('/big.xml.gz')}: gzip file is over the 98 KB cap unpacked"]


SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


# --- 5. robots.txt limits -------------------------------------------------------------------------------


def test_a_slow_endless_robots_txt_meets_the_pages_deadline(site: Site) -> None:  # noqa: F811
    import time

    from bot.errors import FetchError
    from bot.sources.fetch import Fetcher

    site.routes["/robots.txt"] = Reply(b"User-agent: *\nAllow: /\n" + b"# still here\n" * 30, "text/plain", every_s=0.1)
    site.routes["/p"] = Reply(b"fine", "text/plain")
    options = FetchOptions(delay_s=0.0, retries=0, read_timeout_s=2.0, total_timeout_s=0.4)
    with Fetcher(options) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"^http://127\.0\.0\.1:\d+/p: http://127\.0\.0\.1:\d+/robots\.txt could not "
                                             r"be read \(timeout: the response took over 0\.4s\): not fetching$"):
            fetcher.get(site.url("/p"))
        assert time.monotonic() - started < 1.0
    assert site.hits("/p") == []


def test_a_huge_robots_txt_is_read_to_the_size_cap(site: Site) -> None:  # noqa: F811
    from bot.errors import FetchError
    from bot.sources.fetch import Fetcher

    rules = b"User-agent: *\nDisallow: /private/\n" + b"# filler line\n" * 2000
    site.routes["/robots.txt"] = Reply(rules, "text/plain", repeat=2000)  # 56 MB
    site.routes["/private/x"] = Reply(b"secret", "text/plain")
    with Fetcher(FetchOptions(delay_s=0.0, retries=0, max_bytes=100_000)) as fetcher:
        with pytest.raises(FetchError, match=r"/private/x: disallowed by"):
            fetcher.get(site.url("/private/x"))  # the rules within the cap are read (RFC 9309 2.5)
    assert site.sent["/robots.txt"] < 20_000_000  # the fetcher hung up near the cap, not at the end


def test_a_robots_txt_with_a_byte_order_mark_is_read(site: Site) -> None:  # noqa: F811
    from bot.errors import FetchError
    from bot.sources.fetch import Fetcher

    site.routes["/robots.txt"] = Reply(b"\xef\xbb\xbfUser-agent: *\nDisallow: /private/\n", "text/plain")
    with Fetcher(FAST) as fetcher, pytest.raises(FetchError, match=r"/private/x: disallowed by"):
        fetcher.get(site.url("/private/x"))


# --- 6. JSON Feed ---------------------------------------------------------------------------------------


def test_a_json_feed_is_read(site: Site, pipeline: Pipeline) -> None:  # noqa: F811
    import json

    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Harbour Gazette",
            "home_page_url": site.url("/"), "items": [
                {"id": "1", "url": "/news/ferry", "title": "Ferry timetable changes",
                 "date_published": "2026-06-02T01:30:00+09:00", "content_text": "The ferry leaves every hour."},
                {"id": site.url("/news/tram"), "title": "Tram vote", "date_modified": "2026-06-03T10:00:00Z",
                 "content_html": "<p>The council voted.</p>"},
                {"id": "3", "content_text": "An item with no url is not an article page."}]}
    site.routes["/feed.json"] = Reply(json.dumps(feed).encode(), "application/feed+json")
    site.routes["/api/feed"] = Reply(b"\xef\xbb\xbf" + json.dumps(feed).encode(), "application/json")
    site.routes["/news/ferry"] = page("Ferry page", site="")
    site.routes["/news/tram"] = page("Tram page", site="")
    report = sync_sources(pipeline, [Source("json", site.url("/feed.json")), Source("api", site.url("/api/feed"))],
                          options=FAST)
    assert [(r.new, r.unchanged, r.failed) for r in report.sources] == [(2, 0, []), (0, 2, [])]
    found = {url: (p.source, p.published) for url, p in stored(pipeline).items()}
    assert found == {site.url("/news/ferry"): ("Harbour Gazette", "2026-06-02"),
                     site.url("/news/tram"): ("Harbour Gazette", "2026-06-03")}


@pytest.mark.parametrize(("body", "why"), [
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
     r"malformed JSON Feed: Expecting value \(line 1, column 59\)"),
    (b'{"kind": "not a feed", "items": []}', r'not a JSON Feed \(no "version": "https://jsonfeed\.org/version/1\.1"\)'),
    (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', r'not a JSON Feed \(no "items" list\)'),
])
def test_a_broken_json_feed_is_reported_as_json(body: bytes, why: str) -> None:
    from bot.errors import FetchError
    from bot.sources.feeds import parse_feed

    with pytest.raises(FetchError, match=rf"^https://g\.example/feed\.json: {why}$"):
        parse_feed(body, "https://g.example/feed.json", content_type="application/feed+json")


# --- 7. Markup in titles ------------------------------------------------------------------------------

BRANDT = "Brandt & Keller wins Harbour Bridge repair deal"


def test_feed_titles_and_outlets_are_plain_text() -> None:
    from bot.sources.feeds import parse_feed, parse_sitemap

    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom">
    <title type="html">Harbour &amp;amp; Co &lt;b&gt;News&lt;/b&gt;</title>
    <id>urn:g</id><updated>2026-06-01T00:00:00Z</updated>
    <entry><title type="html">Brandt &amp;amp; Keller wins &lt;em&gt;Harbour Bridge&lt;/em&gt; repair deal</title>
    <link href="https://g.example/a"/><id>urn:a</id><updated>2026-06-01T00:00:00Z</updated></entry>
    <entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Brandt &amp; Keller wins <em>Harbour Bridge</em>
    repair deal</div></title><link href="https://g.example/b"/><id>urn:b</id><updated>2026-06-01T00:00:00Z</updated></entry>
    </feed>"""
    items = parse_feed(atom, "https://g.example/atom").items
    assert [(i.title, i.outlet) for i in items] == [(BRANDT, "Harbour & Co News")] * 2
    double = rss([("https://g.example/c", "Council calls it a &amp;#8220;record&amp;#8221; &amp;amp; more", None)],
                 title="Harbour &amp;amp; Co")
    (item,) = parse_feed(double, "https://g.example/rss").items
    assert (item.title, item.outlet) == ("Council calls it a “record” & more", "Harbour & Co")
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://g.example/d</loc><news:news>
    <news:publication><news:name>Harbour &amp;amp; Co</news:name></news:publication>
    <news:title>Brandt &amp;amp; Keller wins &lt;em&gt;Harbour Bridge&lt;/em&gt; repair deal</news:title>
    </news:news></url></urlset>"""
    (item,) = parse_sitemap(news, "https://g.example/news.xml").items
    assert (item.title, item.outlet) == (BRANDT, "Harbour & Co")


def test_plain_text_leaves_text_that_only_looks_like_markup() -> None:
    from bot.readers import plain_text

    for title in ("AT&T and R&D: Q&A", "Inflation < 2% for the first time, > forecast", "Fish & chips <3",
                  "Why &ampersands matter"):
        assert plain_text(title) == title


def test_titles_and_outlets_from_pages_and_records_are_plain_text(tmp_path: Path) -> None:
    import json

    from bot.readers import read_articles
    from bot.schema import Article
    from bot.sources.fetch import Fetched
    from bot.sources.pages import page_article

    html = article_html("x", site="Harbour &amp;amp; Co").replace(
        "<title>x</title>", '<meta property="og:title" content="Brandt &amp;amp; Keller wins &lt;em&gt;Harbour '
                            'Bridge&lt;/em&gt; repair deal">')
    article = page_article(Fetched("https://g.example/p", 200, html.encode(), "text/html", "utf-8"))
    assert (article.title, article.source) == (BRANDT, "Harbour & Co")
    (tmp_path / "a.jsonl").write_text(json.dumps({
        "text": "Body.", "title": "Brandt &amp; Keller wins <em>Harbour Bridge</em> repair deal",
        "source": "Harbour &amp;amp; Co"}) + "\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({
        "text": "Body.", "title": "Council calls it a &#8220;record&#8221;", "source": "<b>Harbour</b> Co"}),
        encoding="utf-8")
    (tmp_path / "c.html").write_text(html, encoding="utf-8")
    (tmp_path / "d.md").write_text("---\ntitle: Brandt &amp; Keller wins <em>Harbour Bridge</em> repair deal\n---\nBody.\n",
                                   encoding="utf-8")
    found = {Path(str(a.path)).name: (a.title, a.source) for a in read_articles([tmp_path]) if isinstance(a, Article)}
    assert found == {"a.jsonl": (BRANDT, "Harbour & Co"), "b.json": ("Council calls it a “record”", "Harbour Co"),
                     "c.html": (BRANDT, "Harbour & Co"), "d.md": (BRANDT, None)}


# --- 8. Short pages ------------------------------------------------------------------------------------

BRIEF = ("The harbour ferry will run every twenty minutes from Monday, the port authority said, after the "
         "repairs to the north pier were finished two weeks early.")

PIER = ("The north pier reopens on Monday after repairs that cost 2 million euros and took eleven weeks, "
        "the port said.")


def test_a_short_page_is_indexed_with_the_feeds_summary_and_says_so(site: Site, pipeline: Pipeline) -> None:  # noqa: F811
    def item(path: str, title: str, description: str = "") -> str:
        return f"<item><title>{title}</title><link>{site.url(path)}</link>{description}</item>"

    site.routes["/rss"] = Reply(
        ('<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title><link>/</link>'
         "<description>news</description>"
         + item("/brief", "Ferry every twenty minutes", f"<description>&lt;p&gt;{BRIEF}&lt;/p&gt;</description>")
         + item("/paywall", "Big story")
         + item("/teaser", "Teaser", "<description>Read more…</description>")
         + item("/longer", "Pier", "<description>The north pier reopens on Monday.</description>")
         + "</channel></rss>").encode(), "application/rss+xml")
    for path in ("/brief", "/paywall", "/teaser"):
        site.routes[path] = Reply(SHORT)
    site.routes["/longer"] = Reply(f"<html><body><article><p>{PIER}</p></article></body></html>".encode())
    said: list[str] = []
    (report,) = sync_sources(pipeline, [Source("rss", site.url("/rss"))], options=FAST,
                             on_skip=lambda s: said.append(str(s))).sources
    assert report.new == 2
    assert sorted(str(s).split(": ", 1)[0] for s in report.failed) == [site.url("/paywall"), site.url("/teaser")]
    assert all("no article text (only 9 words" in s.reason for s in report.failed), report.failed
    assert sorted(str(n) for n in report.notices) == [
        f"{site.url('/brief')}: the page has only 9 words of article text: indexed the feed's summary (26 words) instead",
        f"{site.url('/longer')}: the page has only 20 words of article text: indexed it, as the feed has a summary "
        "for it (of 6 words)"]
    assert set(map(str, report.notices)) <= set(said)
    articles = stored(pipeline)
    assert (articles[site.url("/brief")].text, articles[site.url("/brief")].title) == (BRIEF, "Ferry every twenty minutes")
    assert articles[site.url("/longer")].text == PIER  # the page says more than the feed's summary


def test_a_short_page_of_a_json_feed_is_indexed_with_its_content(site: Site, pipeline: Pipeline) -> None:  # noqa: F811
    import json

    site.routes["/feed.json"] = Reply(json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Harbour Gazette", "items": [
            {"id": "1", "external_url": site.url("/brief"), "content_html": f"<p>{BRIEF}</p><p>Timetables are online.</p>"}]
    }).encode(), "application/feed+json")
    site.routes["/brief"] = Reply(SHORT)
    (report,) = sync_sources(pipeline, [Source("json", site.url("/feed.json"))], options=FAST).sources
    assert report.new == 1 and [str(n) for n in report.notices] == [
        f"{site.url('/brief')}: the page has only 9 words of article text: indexed the feed's summary (29 words) instead"]
    assert stored(pipeline)[site.url("/brief")].text == BRIEF + "\nTimetables are online."


SHORT = b"<html><body><article><h1>Ferry every twenty minutes</h1><p>The ferry runs more often.</p></article></body></html>"
