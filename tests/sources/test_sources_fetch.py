"""The polite fetcher against a real local HTTP server: validators, retries, limits, robots.txt."""

from __future__ import annotations

import time

import pytest

from bot.errors import FetchError
from bot.sources.fetch import Fetcher, FetchOptions
from sources_server import site  # noqa: F401 - the fixture
from sources_server import Reply, Site

FAST = FetchOptions(delay_s=0.0, backoff_s=0.05, retries=2, read_timeout_s=2.0, connect_timeout_s=2.0)


def test_conditional_request_gets_304_and_user_agent_names_newsbot(site: Site) -> None:
    site.routes["/feed"] = Reply(b"<rss/>", "application/rss+xml", etag='"v1"', headers={"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    with Fetcher(FAST) as f:
        first = f.get(site.url("/feed"))
        again = f.get(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200 and first.body == b"<rss/>" and first.etag == '"v1"'
    assert again.not_modified and again.body == b""
    sent = site.hits("/feed")
    assert sent[1]["If-None-Match"] == '"v1"' and sent[1]["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert sent[0]["User-Agent"].startswith("newsbot/")


def test_429_with_retry_after_is_retried_after_the_wait(site: Site) -> None:
    calls = []

    def limited(headers: dict[str, str]) -> Reply:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Reply(b"slow down", "text/plain", 429, headers={"Retry-After": "1"})
        return Reply(b"ok", "text/plain")

    site.routes["/limited"] = limited
    with Fetcher(FAST) as f:
        got = f.get(site.url("/limited"))
    assert got.status == 200 and got.body == b"ok"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


def test_500_fails_after_retries_naming_the_url(site: Site) -> None:
    site.routes["/broken"] = Reply(b"oops", "text/plain", 500)
    with Fetcher(FAST) as f, pytest.raises(FetchError, match=r"^http://127\.0\.0\.1:\d+/broken: HTTP 500 after 3 tries$"):
        f.get(site.url("/broken"))
    assert len(site.hits("/broken")) == 3


def test_redirect_loop_is_refused(site: Site) -> None:
    site.routes["/a"] = Reply(status=302, headers={"Location": "/b"})
    site.routes["/b"] = Reply(status=302, headers={"Location": "/a"})
    with Fetcher(FAST) as f, pytest.raises(FetchError, match=r"/a: redirect loop or more than 5 redirects"):
        f.get(site.url("/a"))


def test_slow_response_hits_the_read_timeout(site: Site) -> None:
    site.routes["/slow"] = Reply(b"late", "text/plain", delay_s=2.0)
    with Fetcher(FetchOptions(delay_s=0, read_timeout_s=0.3, retries=0)) as f:
        with pytest.raises(FetchError, match=r"/slow: read timeout"):
            f.get(site.url("/slow"))


def test_huge_response_is_cut_at_the_size_cap(site: Site) -> None:
    site.routes["/huge"] = Reply(b"x" * 300_000, "text/html")
    site.routes["/bomb"] = Reply(b"y" * 300_000, "text/html", gzip=True)  # small on the wire, big unpacked
    with Fetcher(FetchOptions(delay_s=0, max_bytes=100_000)) as f:
        with pytest.raises(FetchError, match=r"/huge: response is 293 KB, over the 98 KB cap"):
            f.get(site.url("/huge"))
        with pytest.raises(FetchError, match=r"/bomb: response is over the 98 KB cap"):
            f.get(site.url("/bomb"))


def test_gzip_bodies_are_decoded(site: Site) -> None:
    site.routes["/z"] = Reply(b"hello " * 1000, "text/plain", gzip=True)
    with Fetcher(FAST) as f:
        got = f.get(site.url("/z"))
    assert got.body == b"hello " * 1000
    assert "gzip" in site.hits("/z")[0]["Accept-Encoding"]


def test_robots_txt_is_honoured_and_read_once(site: Site) -> None:
    site.routes["/private/x"] = Reply(b"secret", "text/plain")
    site.routes["/public"] = Reply(b"fine", "text/plain")
    with Fetcher(FAST) as f:
        with pytest.raises(FetchError, match=r"/private/x: disallowed by http://127\.0\.0\.1:\d+/robots\.txt for newsbot"):
            f.get(site.url("/private/x"))
        assert f.get(site.url("/public")).body == b"fine"
    assert site.hits("/private/x") == []
    assert len(site.hits("/robots.txt")) == 1


def test_per_host_delay_spaces_requests(site: Site) -> None:
    site.routes["/p"] = Reply(b"p", "text/plain")
    with Fetcher(FetchOptions(delay_s=0.2)) as f:
        start = time.monotonic()
        for _ in range(3):
            f.get(site.url("/p"))
        elapsed = time.monotonic() - start
    # robots.txt + 3 pages = 4 requests, 3 gaps of 0.2 s.
    assert elapsed >= 0.55
    assert f.requests == 4


def test_404_is_returned_as_gone_not_raised(site: Site) -> None:
    with Fetcher(FAST) as f:
        got = f.get(site.url("/nothing-here"))
    assert got.gone and got.status == 404


def test_per_host_concurrency_limit(site: Site) -> None:
    import threading

    active, peak, lock = [0], [0], threading.Lock()

    def slow(headers: dict[str, str]) -> Reply:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        with lock:
            active[0] -= 1
        return Reply(b"ok", "text/plain")

    site.routes["/busy"] = slow
    with Fetcher(FetchOptions(delay_s=0, per_host=2)) as f:
        threads = [threading.Thread(target=f.get, args=(site.url("/busy"),)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(site.hits("/busy")) == 6 and peak[0] == 2


def test_robots_crawl_delay_is_honoured(site: Site) -> None:
    site.routes["/robots.txt"] = Reply(b"User-agent: newsbot\nCrawl-delay: 1\nAllow: /\n", "text/plain")
    site.routes["/p"] = Reply(b"p", "text/plain")
    with Fetcher(FetchOptions(delay_s=0)) as f:
        f.get(site.url("/p"))
        start = time.monotonic()
        f.get(site.url("/p"))
    assert time.monotonic() - start >= 0.9
