"""The sync of live sources: per source, fetch the listing and its pages, extract, index, remember.

A feed or sitemap answering 304 costs one request and changes nothing. Otherwise every page it
lists is fetched conditionally (ETag / Last-Modified kept per url in the state DB, table `fetched`),
so unchanged pages cost a 304 and changed ones are re-indexed under the same id; an item that left
the listing stays in the index (feeds roll over); a known page that answers 404 or 410 is removed.
A source whose listing or pages failed keeps what it had, and its listing is fetched in full next
time. `sync_sources` is safe to call from a thread of a serving process.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import FetchError
from bot.ingest import progress_iter
from bot.schema import Article, Notice, Skipped
from bot.sources.config import Source
from bot.sources.feeds import FeedItem, kind_of, parse_feed, parse_sitemap
from bot.sources.fetch import Fetched, Fetcher, FetchOptions, gunzipped
from bot.sources.pages import read_page
from bot.state import SourceSync

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

MAX_SITEMAPS = 50


@dataclass
class SourceReport:
    """What one source's sync did; `failed` holds each 'URL: reason', `notices` what was said about
    articles still indexed (a date that could not be read, the feed's summary used for a short page)."""

    name: str
    url: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    not_due: bool = False
    stopped: bool = False

    def summary(self) -> str:
        """One line for people: 'NAME: 3 new, 1 updated, 10 unchanged, 0 removed, 1 failed (2.1s)'."""
        if self.not_due:
            return f"{self.name}: not due yet (every is set; use --force)"
        notices = f", {len(self.notices)} notices" if self.notices else ""
        return (f"{self.name}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.removed} removed, {len(self.failed)} failed{notices} "
                f"({self.requests} requests, {self.seconds:.1f}s)")

    def to_json(self) -> dict[str, Any]:
        """The report as a dict."""
        return {"name": self.name, "url": self.url, "new": self.new, "updated": self.updated,
                "unchanged": self.unchanged, "removed": self.removed, "failed": [str(s) for s in self.failed],
                "notices": [str(n) for n in self.notices], "requests": self.requests,
                "seconds": round(self.seconds, 3), "not_due": self.not_due}


@dataclass
class SyncReport:
    """What a sync of several sources did."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def failed(self) -> list[Skipped]:
        """Every 'URL: reason' of every source."""
        return [s for r in self.sources for s in r.failed]

    def to_json(self) -> dict[str, Any]:
        """The report as a dict."""
        return {"sources": [r.to_json() for r in self.sources]}

    def summary(self) -> str:
        """One summary line per source."""
        return "\n".join(r.summary() for r in self.sources)


def sync_urls(
    pipeline: Pipeline,
    urls: Sequence[str],
    *,
    options: FetchOptions | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> SyncReport:
    """`newsbot ingest URL...`: each URL (a feed, sitemap or page, detected) synced now, with progress, as a
    source named by its URL."""
    return sync_sources(pipeline, [Source(name=u, url=u) for u in urls], progress=True, force=True, options=options,
                        on_skip=on_skip)


def sync_sources(
    pipeline: Pipeline,
    sources: Sequence[Source],
    *,
    progress: bool = False,
    force: bool = False,
    options: FetchOptions | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
    stop: threading.Event | None = None,
) -> SyncReport:
    """Sync each source into the pipeline's index (sources not due by their `every` are left unless `force`).

    When `stop` is set, no further source is started and the one in progress fetches no more pages.
    """
    report = SyncReport()
    with Fetcher(options, robots_cache=StateRobotsCache(pipeline)) as fetcher:
        for source in sources:
            if stop is not None and stop.is_set():
                break
            report.sources.append(sync_source(pipeline, fetcher, source, progress=progress, force=force,
                                              on_skip=on_skip, stop=stop))
    return report


def sync_source(
    pipeline: Pipeline,
    fetcher: Fetcher,
    source: Source,
    *,
    progress: bool = False,
    force: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    stop: threading.Event | None = None,
) -> SourceReport:
    """Sync one source; failures are recorded in the report and the state, never raised."""
    started = time.perf_counter()
    requests_before = fetcher.requests
    report = SourceReport(source.name, source.url)
    last_sync = pipeline.state.source_sync(source.name)
    last = last_sync.synced_at if last_sync is not None else None
    if not force and source.every_s and last is not None and time.time() - last < source.every_s:
        report.not_due = True
        return report
    clean_listing = False
    listings: list[Fetched] = []
    try:
        if source.kind == "folder":
            ing = pipeline.ingest([Path(source.url)], progress=progress, on_skip=on_skip)
            report.new, report.updated, report.removed = ing.added, ing.updated + ing.duplicates, ing.removed
            report.unchanged, report.failed = ing.unchanged, list(ing.skipped)
            clean_listing = True
        else:
            items, pages, listings = _listing(pipeline, fetcher, source)
            if items is None:
                report.unchanged = pipeline.state.source_articles(source.name)
            else:
                _sync_pages(pipeline, fetcher, source, items, pages, report, progress, on_skip, stop)
            clean_listing = True
    except FetchError as exc:
        skip = Skipped(exc.url, exc.reason)
        report.failed.append(skip)
        if on_skip:
            on_skip(skip)
    report.requests = fetcher.requests - requests_before
    report.seconds = time.perf_counter() - started
    # A listing's validators are kept only when all of it went in: a failed page is retried next time.
    keep = listings if clean_listing and not report.failed and not report.stopped else []
    _record(pipeline, source, report, keep)
    return report


def _listing(pipeline: Pipeline, fetcher: Fetcher, source: Source
             ) -> tuple[list[FeedItem] | None, dict[str, Fetched], list[Fetched]]:
    """(items, pages already fetched, listing responses); items None when the listing answered 304."""
    if source.kind == "page":
        return [FeedItem(source.url)], {}, []
    queue, seen_maps = [source.url], set[str]()
    items: list[FeedItem] = []
    listings: list[Fetched] = []
    any_changed = False
    while queue and len(seen_maps) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen_maps:
            continue
        seen_maps.add(url)
        etag, modified, _ = pipeline.state.validators(url)
        got = fetcher.get(url, etag=etag, last_modified=modified)
        if got.not_modified:
            continue
        got = gunzipped(got, fetcher.options.max_bytes)  # sitemaps are often served as .xml.gz files
        if got.gone and url == source.url and pipeline.state.validators(url)[2] is not None:
            return [FeedItem(url)], {url: got}, []  # a known page source that is now gone
        if got.gone:
            raise FetchError(url, f"HTTP {got.status}: the {source.kind or 'source'} is gone")
        any_changed = True
        kind = source.kind if url == source.url and source.kind else kind_of(got.content_type, got.body)
        if kind == "page" and url == source.url:
            return [FeedItem(url)], {url: got}, []
        base = got.final_url or url  # relative links are relative to where the listing was found
        if kind == "feed":
            listing = parse_feed(got.body, url, content_type=got.content_type, base=base)
        elif kind == "sitemap":
            listing = parse_sitemap(got.body, url, base=base)
        else:
            raise FetchError(url, f"expected a feed or sitemap, got {got.content_type or 'no content type'}")
        listings.append(got)
        items.extend(listing.items)
        queue.extend(listing.sitemaps)
    if not any_changed:
        return None, {}, []
    unique = {i.url: i for i in reversed(items) if source.wants(i.url)}
    return list(reversed(unique.values())), {}, listings


# One listed page's outcome: (item, the answer, the article read, why it failed, notices).
_PageResult = tuple[FeedItem, Fetched | None, Article | None, Skipped | None, list[Notice]]


def _sync_pages(pipeline: Pipeline, fetcher: Fetcher, source: Source, items: list[FeedItem],
                pages: dict[str, Fetched], report: SourceReport, progress: bool,
                on_skip: Callable[[Skipped], None] | None, stop: threading.Event | None = None) -> None:
    """Fetch the listed pages (conditionally), index the changed ones, remove the gone ones.

    Once `stop` is set, pages not yet fetched are left (the report says `stopped`); those fetched are indexed.
    """
    articles: dict[str, Article] = {}
    gone_keys: list[str] = []
    fresh: list[tuple[str, Fetched, str]] = []
    forgotten: list[str] = []

    def one(item: FeedItem) -> _PageResult:
        if stop is not None and stop.is_set():
            report.stopped = True
            return item, None, None, None, []
        etag, modified, _ = pipeline.state.validators(item.url)
        try:
            got = pages.get(item.url) or fetcher.get(item.url, etag=etag, last_modified=modified)
            if got.status != 200:
                return item, got, None, None, []
            article, notices = read_page(got, item, outlet=source.outlet)
            return item, got, article, None, notices
        except FetchError as exc:
            return item, None, None, Skipped(exc.url, exc.reason), []

    with ThreadPoolExecutor(max_workers=max(1, fetcher.options.workers)) as pool:
        futures: list[Future[_PageResult]] = [pool.submit(one, item) for item in items]
        done = as_completed(futures)
        walk = progress_iter(done, len(futures), source.name) if progress else done
        for future in walk:
            item, got, article, skip, notices = future.result()
            report.notices.extend(notices)
            for notice in notices:
                if on_skip:
                    on_skip(notice)
            if skip is not None:
                report.failed.append(skip)
                if on_skip:
                    on_skip(skip)
            elif got is not None and got.not_modified:
                report.unchanged += 1
            elif got is not None and got.gone:
                key = pipeline.state.validators(item.url)[2]
                if key is None:
                    skip = Skipped(item.url, f"HTTP {got.status}: no such page")
                    report.failed.append(skip)
                    if on_skip:
                        on_skip(skip)
                else:
                    gone_keys.append(key)
                    forgotten.append(item.url)
            elif got is not None and article is not None:
                if article.key in articles:  # two listed urls, one canonical article
                    report.unchanged += 1
                else:
                    articles[article.key] = replace(article, path=_doc_path(pipeline, article.key))
                fresh.append((item.url, got, article.key))
    ingest = pipeline.indexer.sync(list(articles.values()), scopes=[_doc_path(pipeline, k) for k in gone_keys])
    report.new += ingest.added
    report.updated += ingest.updated + ingest.duplicates
    report.unchanged += ingest.unchanged
    report.removed += ingest.removed
    with pipeline.state.tx() as con:
        pipeline.state.record_fetched(con, source.name, [(url, key, got.etag, got.last_modified) for url, got, key in fresh])
        pipeline.state.forget_fetched(con, forgotten)


class StateRobotsCache:
    """robots.txt files kept in the state DB's meta table (key 'robots:ORIGIN') between runs."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.state = pipeline.state

    def load(self, origin: str) -> str | None:
        """The record kept for an origin, or None."""
        return self.state.get_meta(f"robots:{origin}")

    def save(self, origin: str, record: str) -> None:
        """Keep the record for an origin."""
        with self.state.tx() as con:
            self.state.set_meta(con, f"robots:{origin}", record)


def _doc_path(pipeline: Pipeline, key: str) -> str:
    """The path a fetched article is recorded under, so the indexer can remove it by scope."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]
    return str(pipeline.settings.data_dir.resolve() / "fetched" / digest)


def _record(pipeline: Pipeline, source: Source, report: SourceReport, listings: list[Fetched]) -> None:
    """Remember the sync (time, report, last error) and the listing validators worth keeping."""
    error = str(report.failed[0]) if report.failed else None
    with pipeline.state.tx() as con:
        pipeline.state.record_source_sync(con, source.name, source.url, json.dumps(report.to_json()), error)
        if report.failed:  # forget the listing's validators, so the next sync reads it in full
            pipeline.state.forget_listings(con, source.name)
        pipeline.state.record_fetched(con, source.name, [(g.url, None, g.etag, g.last_modified) for g in listings])


def source_status(pipeline: Pipeline, sources: Sequence[Source]) -> list[dict[str, Any]]:
    """Per source: name, kind, url, last sync (unix time or None), articles indexed, last error."""
    out: list[dict[str, Any]] = []
    for s in sources:
        last = pipeline.state.source_sync(s.name) or SourceSync(None, None, None)
        out.append({
            "name": s.name, "kind": s.kind or "auto", "url": s.url,
            "last_sync": last.synced_at,
            "articles": pipeline.state.source_articles(s.name) if s.kind != "folder" else len(pipeline.state.keys_under(s.url)),
            "last_error": last.last_error,
            "last_report": json.loads(last.report) if last.report else None,
        })
    return out
