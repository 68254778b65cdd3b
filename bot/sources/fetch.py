"""The polite HTTP client: every byte newsbot reads from the web comes through `Fetcher.get`.

Timeouts (connect, read, and a whole-response deadline), a size cap, gzip, a bounded number of
redirects, a User-Agent naming newsbot, conditional requests (ETag / Last-Modified), retries with
backoff on 429 and 5xx honouring Retry-After, a per-host concurrency limit and delay, and robots.txt
(urllib.robotparser; fetched under the same deadline and size cap as pages, read to the cap when
longer). httpx is imported here only; its errors become `FetchError("URL: reason")`.
"""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import io
import json
import threading
import time
import urllib.parse
import urllib.robotparser
import zlib
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from bot import __version__
from bot.errors import FetchError

RETRY_STATUSES = (429, 500, 502, 503, 504)
GONE_STATUSES = (404, 410)
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class FetchOptions:
    """How politely and how far the fetcher goes; `[fetch]` in sources.toml overrides these."""

    user_agent: str = f"newsbot/{__version__} (news question-answering bot)"
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3
    backoff_s: float = 1.0
    max_retry_after_s: float = 120.0
    per_host: int = 2
    delay_s: float = 0.5
    workers: int = 8
    robots: bool = True
    robots_ttl_s: float = 86400.0


class RobotsCache(Protocol):
    """Where robots.txt files are kept between runs (a JSON record per origin)."""

    def load(self, origin: str) -> str | None:
        """The record saved for an origin, or None."""

    def save(self, origin: str, record: str) -> None:
        """Keep the record for an origin."""


@dataclass(frozen=True)
class Fetched:
    """One answer: 200 with a body, 304 (unchanged since the validators given) or 404/410 (gone)."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    final_url: str = ""

    @property
    def gone(self) -> bool:
        """Whether the server says the page no longer exists (404 or 410)."""
        return self.status in GONE_STATUSES

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304 to the conditional request."""
        return self.status == 304


@dataclass
class _Host:
    """Per-host politeness state: a slot semaphore and the earliest time of the next request."""

    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_error: str | None = None
    robots_done: bool = False
    robots_lock: threading.Lock = field(default_factory=threading.Lock)


class Fetcher:
    """A thread-safe polite HTTP client; `requests` counts the HTTP requests it made."""

    def __init__(self, options: FetchOptions | None = None, *, robots_cache: RobotsCache | None = None) -> None:
        self.options = options or FetchOptions()
        self._robots_cache = robots_cache
        o = self.options
        self._client = httpx.Client(
            headers={"User-Agent": o.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(o.read_timeout_s, connect=o.connect_timeout_s),
            follow_redirects=True,
            max_redirects=o.max_redirects,
        )
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self.requests = 0

    @property
    def agent(self) -> str:
        """The product token robots.txt rules are matched against ('newsbot')."""
        return self.options.user_agent.split("/")[0]

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET a URL (conditionally when validators are given); FetchError('URL: reason') when it fails.

        404 and 410 are returned (status, `gone`), not raised, so a sync can remove the article.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(url, "not an http(s) URL")
        host = self._host(parts)
        if self.options.robots and not self._allowed(host, parts, url):
            raise FetchError(url, f"disallowed by {_origin(parts)}/robots.txt for {self.agent}")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            status, result, retry_after = self._once(host, url, headers)
            if result is not None:
                return result
            if attempt >= self.options.retries:
                raise FetchError(url, f"HTTP {status} after {attempt + 1} {'try' if attempt == 0 else 'tries'}")
            wait = retry_after if retry_after is not None else self.options.backoff_s * 2**attempt
            if wait > self.options.max_retry_after_s:
                raise FetchError(url, f"HTTP {status}, Retry-After {wait:.0f}s is longer than {self.options.max_retry_after_s:.0f}s")
            attempt += 1
            time.sleep(wait)

    # --- one request ------------------------------------------------------------------------

    def _once(self, host: _Host, url: str, headers: dict[str, str]) -> tuple[int, Fetched | None, float | None]:
        """One polite request: (status, the answer or None to retry, Retry-After seconds)."""
        with host.slots:
            self._wait_turn(host)
            with self._lock:
                self.requests += 1
            deadline = time.monotonic() + self.options.total_timeout_s
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    if status in RETRY_STATUSES:
                        return status, None, _retry_after(response.headers.get("Retry-After"))
                    if status == 304 or status in GONE_STATUSES:
                        return status, self._answer(url, response, b""), None
                    if status >= 400:
                        raise FetchError(url, f"HTTP {status} {response.reason_phrase}".rstrip())
                    body = self._read(url, response, deadline)
                    return status, self._answer(url, response, body), None
            except httpx.TooManyRedirects:
                raise FetchError(url, f"redirect loop or more than {self.options.max_redirects} redirects") from None
            except httpx.ConnectTimeout:
                raise FetchError(url, f"connect timeout ({self.options.connect_timeout_s:g}s)") from None
            except httpx.ReadTimeout:
                raise FetchError(url, f"read timeout: no data for {self.options.read_timeout_s:g}s") from None
            except httpx.TimeoutException as exc:
                raise FetchError(url, f"timeout ({type(exc).__name__})") from exc
            except httpx.DecodingError as exc:
                raise FetchError(url, f"bad content encoding: {exc}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc

    def _read(self, url: str, response: httpx.Response, deadline: float, *, head: bool = False) -> bytes:
        """The (decompressed) body, within the size cap and the whole-response deadline.

        With `head`, a body over the cap is cut to its whole lines within the cap instead of refused.
        """
        cap = self.options.max_bytes
        declared = response.headers.get("Content-Length", "")
        if not head and declared.isdigit() and int(declared) > cap and "Content-Encoding" not in response.headers:
            raise FetchError(url, f"response is {_size(int(declared))}, over the {_size(cap)} cap")
        parts: list[bytes] = []
        got = 0
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise FetchError(url, f"timeout: the response took over {self.options.total_timeout_s:g}s")
            got += len(chunk)
            if got > cap:
                if not head:
                    raise FetchError(url, f"response is over the {_size(cap)} cap")
                parts.append(chunk[:len(chunk) - (got - cap)])
                body = b"".join(parts)
                return body[:body.rfind(b"\n") + 1]  # a line cut in half is not read
            parts.append(chunk)
        return b"".join(parts)

    def _answer(self, url: str, response: httpx.Response, body: bytes) -> Fetched:
        ctype = response.headers.get("Content-Type", "")
        return Fetched(
            url=url, status=response.status_code, body=body,
            content_type=ctype.split(";")[0].strip().lower(), charset=response.charset_encoding,
            etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
            final_url=str(response.url),
        )

    # --- politeness -------------------------------------------------------------------------

    def _host(self, parts: urllib.parse.SplitResult) -> _Host:
        key = _origin(parts)
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host(threading.Semaphore(max(1, self.options.per_host)))
            return host

    def _wait_turn(self, host: _Host) -> None:
        """Sleep until this host may be asked again (the delay, or robots.txt's Crawl-delay if longer)."""
        delay = self.options.delay_s
        if host.robots is not None:
            crawl = host.robots.crawl_delay(self.agent)
            if crawl is not None:
                delay = max(delay, float(crawl))
        with host.lock:
            now = time.monotonic()
            start = max(now, host.next_at)
            host.next_at = start + delay
        if start > now:
            time.sleep(start - now)

    def _allowed(self, host: _Host, parts: urllib.parse.SplitResult, url: str) -> bool:
        """Whether robots.txt lets newsbot fetch the URL (fetched once per host and run)."""
        with host.robots_lock:
            if not host.robots_done:
                self._load_robots(host, parts)
        if host.robots_error is not None:
            raise FetchError(url, host.robots_error)
        return host.robots is None or host.robots.can_fetch(self.agent, url)

    def _load_robots(self, host: _Host, parts: urllib.parse.SplitResult) -> None:
        origin = _origin(parts)
        robots_url = f"{origin}/robots.txt"
        parser: urllib.robotparser.RobotFileParser | None = None
        error: str | None = None
        cached = self._cached_robots(origin)
        if cached is not None:
            if cached:
                parser = urllib.robotparser.RobotFileParser(robots_url)
                parser.parse(cached.splitlines())
            host.robots, host.robots_error, host.robots_done = parser, None, True
            return
        try:
            with host.slots:
                self._wait_turn(host)
                with self._lock:
                    self.requests += 1
                # The deadline and size cap of pages; a longer file is read to the cap (RFC 9309 2.5).
                deadline = time.monotonic() + self.options.total_timeout_s
                with self._client.stream("GET", robots_url) as response:
                    status = response.status_code
                    body = self._read(robots_url, response, deadline, head=True) if status == 200 else b""
            if status == 200:
                text = body.decode("utf-8", "replace").removeprefix("\ufeff")
                parser = urllib.robotparser.RobotFileParser(robots_url)
                parser.parse(text.splitlines())
                self._keep_robots(origin, text)
            elif status < 500:
                self._keep_robots(origin, "")
            elif status >= 500:
                # RFC 9309: a server error on robots.txt means "assume complete disallow" for now.
                error = f"{robots_url} answered HTTP {status}: not fetching until it can be read"
            # Any 4xx means there are no rules.
        except FetchError as exc:  # too slow: unreachable, which RFC 9309 also reads as "disallow all"
            error = f"{robots_url} could not be read ({exc.reason}): not fetching"
        except httpx.HTTPError as exc:
            error = f"{robots_url} could not be read ({type(exc).__name__}): not fetching"
        host.robots, host.robots_error, host.robots_done = parser, error, True


    def _cached_robots(self, origin: str) -> str | None:
        """robots.txt text kept from an earlier run ('' for none), while younger than robots_ttl_s."""
        if self._robots_cache is None:
            return None
        record = self._robots_cache.load(origin)
        if not record:
            return None
        try:
            data = json.loads(record)
            if time.time() - float(data["at"]) < self.options.robots_ttl_s:
                return str(data["text"])
        except (ValueError, KeyError, TypeError):
            pass
        return None

    def _keep_robots(self, origin: str, text: str) -> None:
        if self._robots_cache is not None:
            self._robots_cache.save(origin, json.dumps({"at": time.time(), "text": text}))


def gunzipped(got: Fetched, max_bytes: int) -> Fetched:
    """A gzip file (a `.xml.gz` sitemap, whatever its content type) unpacked within the size cap, its
    content type left to be sniffed; anything else as it is. FetchError('URL: reason') when it is
    over the cap unpacked or not valid gzip."""
    if not got.body.startswith(GZIP_MAGIC):
        return got
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(got.body)) as packed:
            body = packed.read(max_bytes + 1)  # unpacks no more than that
    except (OSError, EOFError, zlib.error) as exc:
        raise FetchError(got.url, f"not a valid gzip file ({exc})") from None
    if len(body) > max_bytes:
        raise FetchError(got.url, f"gzip file is over the {_size(max_bytes)} cap unpacked")
    return dataclasses.replace(got, body=body, content_type="", charset=None)


def _origin(parts: urllib.parse.SplitResult) -> str:
    return f"{parts.scheme}://{parts.netloc}"


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
