"""One date policy for files and feeds (bot/readers/dates.py, `read_date`): an ambiguous 03/04/2025
is never guessed, whether a record, front matter, a feed or a sitemap holds it; the article keeps no
date and a notice says why. Unambiguous forms read to the same day wherever they come from.

Feeds are real: parsed by the feed reader (feedparser, lxml) and synced from a local HTTP server
(tests/sources_server.py) into a real index, beside a record file ingested into the same index.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.embed import HashEmbedder
from bot.pipeline import Pipeline
from bot.readers import read_articles
from bot.schema import Article, Notice, parse_date
from bot.settings import Settings
from bot.sources.config import Source
from bot.sources.feeds import FeedItem, parse_feed, parse_sitemap
from bot.sources.fetch import FetchOptions
from bot.sources.sync import sync_sources
from sources_server import site  # noqa: F401 - the fixture
from sources_server import Reply, Site, article_html, rss

FEED = "https://gazette.example/feed"
LINK = "https://gazette.example/a"
AMBIGUOUS = {"03/04/2025": ("2025-03-04", "2025-04-03"), "05/08/2022": ("2022-05-08", "2022-08-05")}
UNAMBIGUOUS = [
    ("2025-03-04", "2025-03-04"),
    ("2025-03-04T10:00:00+09:00", "2025-03-04"),
    ("Tue, 04 Mar 2025 10:00:00 +0000", "2025-03-04"),
    ("25/03/2025", "2025-03-25"),
    ("March 4, 2025", "2025-03-04"),
]


def feed_items(written: str) -> list[FeedItem]:
    """The same date in an RSS pubDate, an Atom published, a JSON Feed date_published and a Google
    News sitemap's publication_date, each parsed by the feed reader."""
    atom = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>G</title><id>urn:g</id>'
            f'<entry><title>A</title><link href="{LINK}"/><id>urn:a</id>'
            f"<published>{written}</published></entry></feed>").encode()
    json_feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "G", "items": [
        {"id": "a", "url": LINK, "title": "A", "date_published": written}]}).encode()
    sitemap = (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
               f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>{LINK}</loc>'
               f"<news:news><news:title>A</news:title><news:publication_date>{written}"
               f"</news:publication_date></news:news></url></urlset>").encode()
    listings = [parse_feed(data, FEED) for data in (rss([(LINK, "A", written)]), atom, json_feed)]
    return [item for listing in (*listings, parse_sitemap(sitemap, FEED)) for item in listing.items]


def file_articles(written: str, tmp_path: Path) -> tuple[list[Article], list[Notice]]:
    """The same date in a JSONL record, a JSON record and Markdown front matter, read as files."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"text": "Body.", "published": written}) + "\n")
    (folder / "b.json").write_text(json.dumps({"text": "Body.", "published": written}))
    (folder / "c.md").write_text(f'---\npublished: "{written}"\n---\nBody.\n')
    items = list(read_articles([folder]))
    return ([a for a in items if isinstance(a, Article)], [n for n in items if isinstance(n, Notice)])


@pytest.mark.parametrize("written", sorted(AMBIGUOUS))
def test_an_ambiguous_date_is_not_guessed_in_a_file_or_a_feed(written: str, tmp_path: Path) -> None:
    one, other = AMBIGUOUS[written]
    why = (f'cannot read "{written}": the day and month could be either way round ({one} or {other}); '
           "write it as YYYY-MM-DD")
    items = feed_items(written)
    articles, notices = file_articles(written, tmp_path)
    assert len(items) == 4 and len(articles) == 3
    # The same outcome everywhere: no date, and the same reason given.
    assert [i.published for i in items] == [None] * 4
    assert [a.published for a in articles] == [None] * 3
    assert {i.date_problem.split(": ", 1)[1] for i in items if i.date_problem} == {why}
    assert [i.date_problem is not None for i in items] == [True] * 4
    assert sorted(str(n) for n in notices) == sorted([
        f"{tmp_path}/files/a.jsonl:1: published: {why}",
        f"{tmp_path}/files/b.json: published: {why}",
        f"{tmp_path}/files/c.md: published: {why}"])


@pytest.mark.parametrize(("written", "day"), UNAMBIGUOUS)
def test_an_unambiguous_date_reads_to_the_same_day_in_a_file_and_a_feed(
        written: str, day: str, tmp_path: Path) -> None:
    items = feed_items(written)
    articles, notices = file_articles(written, tmp_path)
    assert [i.published for i in items] == [day] * 4 and [i.date_problem for i in items] == [None] * 4
    assert [a.published for a in articles] == [day] * 3 and notices == []


def test_a_synced_feed_and_an_ingested_record_keep_no_date_for_03_04_2025_and_say_why(
        site: Site, tmp_path: Path) -> None:  # noqa: F811
    why = ('cannot read "03/04/2025": the day and month could be either way round '
           "(2025-03-04 or 2025-04-03); write it as YYYY-MM-DD")
    site.routes["/rss"] = Reply(rss([(site.url("/tram"), "Tram vote", "03/04/2025")]), "application/rss+xml")
    site.routes["/tram"] = Reply(article_html("Tram vote", seed="tram").encode())  # the page has no date
    record = tmp_path / "ferry.jsonl"
    record.write_text(json.dumps({"text": "The ferry timetable changes in spring.", "url": "https://gazette.example/ferry",
                                  "title": "Ferry timetable", "published": "03/04/2025"}) + "\n")
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    ingested = pipeline.ingest([record])
    synced = sync_sources(pipeline, [Source("g", site.url("/rss"))],
                          options=FetchOptions(delay_s=0.0, retries=0, read_timeout_s=2.0))
    (report,) = synced.sources
    assert ingested.added == 1 and report.new == 1 and report.failed == []
    assert [str(n) for n in ingested.notices] == [f"{record}:1: published: {why}"]
    assert [str(n) for n in report.notices] == [f'{site.url("/tram")}: pubDate in {site.url("/rss")}: {why}']
    passages = pipeline.state.passages(pipeline.state.all_chunk_ids()).values()
    assert {p.url: p.published for p in passages} == {"https://gazette.example/ferry": None,
                                                     site.url("/tram"): None}


def test_the_schema_normaliser_does_not_guess_either() -> None:
    # parse_date serves values that are already dates (and datasets); it once read 03/04/2025 month
    # first, the one place in bot/ that guessed. Unambiguous forms still read.
    assert parse_date("03/04/2025") is None
    assert parse_date("March 4, 2025") == "2025-03-04"
    assert parse_date("Tue, 04 Mar 2025 10:00:00 +0000") == "2025-03-04"


@pytest.mark.parametrize("written", sorted(AMBIGUOUS))
def test_an_html_file_declaring_an_ambiguous_date_keeps_none_and_says_why(written: str, tmp_path: Path) -> None:
    # trafilatura's date finder reads a page's declared 03/04/2025 day first; the policy does not guess.
    one, other = AMBIGUOUS[written]
    why = (f'cannot read "{written}": the day and month could be either way round ({one} or {other}); '
           "write it as YYYY-MM-DD")
    page = tmp_path / "tram.html"
    page.write_text(article_html("Tram vote", seed="tram", date=written), encoding="utf-8")
    items = list(read_articles([page]))
    assert [a.published for a in items if isinstance(a, Article)] == [None]
    assert [str(n) for n in items if isinstance(n, Notice)] == [f"{page}: published: {why}"]


def test_an_html_file_declaring_an_unambiguous_date_reads_it(tmp_path: Path) -> None:
    page = tmp_path / "tram.html"
    page.write_text(article_html("Tram vote", seed="tram", date="2025-03-04T10:00:00+00:00"), encoding="utf-8")
    items = list(read_articles([page]))
    assert [a.published for a in items if isinstance(a, Article)] == ["2025-03-04"]
    assert [n for n in items if isinstance(n, Notice)] == []


def test_a_fetched_page_declaring_an_ambiguous_date_keeps_none_and_says_why(site: Site, tmp_path: Path) -> None:  # noqa: F811
    why = ('cannot read "03/04/2025": the day and month could be either way round '
           "(2025-03-04 or 2025-04-03); write it as YYYY-MM-DD")
    site.routes["/rss"] = Reply(rss([(site.url("/tram"), "Tram vote", None)]), "application/rss+xml")
    site.routes["/tram"] = Reply(article_html("Tram vote", seed="tram", date="03/04/2025").encode())
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    synced = sync_sources(pipeline, [Source("g", site.url("/rss"))],
                          options=FetchOptions(delay_s=0.0, retries=0, read_timeout_s=2.0))
    (report,) = synced.sources
    assert report.new == 1 and report.failed == []
    assert [str(n) for n in report.notices] == [f"{site.url('/tram')}: the page's date: {why}"]
    passages = pipeline.state.passages(pipeline.state.all_chunk_ids()).values()
    assert {p.url: p.published for p in passages} == {site.url("/tram"): None}
