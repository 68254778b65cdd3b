"""A real HTTP server on 127.0.0.1 (port 0) serving feeds, sitemaps, pages and robots.txt for the
live-source tests, with conditional requests (ETag), slow, trickled and huge responses, and a request log."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Union

import pytest


@dataclass
class Reply:
    """What a route answers. With `etag`, a request whose If-None-Match matches gets a 304."""

    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay_s: float = 0.0
    gzip: bool = False
    every_s: float = 0.0  # > 0: the body is sent one line at a time, this long apart (no Content-Length)
    repeat: int = 1  # > 1: the body is sent this many times over, streamed (no Content-Length)


Route = Union[Reply, Callable[[dict[str, str]], Reply]]


class Site:
    """Routes by path; `log` holds (path, request headers) of every request, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.sent: dict[str, int] = {}  # body bytes written per path, until the client hung up
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.log if p == path]


def article_html(title: str, words: int = 120, *, canonical: str | None = None, date: str | None = None,
                 site: str | None = "Harbour Gazette", author: str | None = None, charset_meta: str | None = None,
                 seed: str = "") -> str:
    """A news page: head metadata and an <article> of `words` words on a distinct topic."""
    vocab = ("council harbour bridge vote budget school river festival market rail station tram energy "
             "grid port workers union mayor election museum library hospital clinic ferry storm").split()
    text_words = [vocab[(i * 7 + len(title) + len(seed)) % len(vocab)] for i in range(words)]
    sentences = [" ".join(text_words[i:i + 12]).capitalize() + "." for i in range(0, words, 12)]
    paras = "".join(f"<p>{seed} {s}</p>" for s in sentences)
    head = [f"<title>{title}</title>"]
    if charset_meta:
        head.insert(0, f'<meta charset="{charset_meta}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    if date:
        head.append(f'<meta property="article:published_time" content="{date}">')
    if site:
        head.append(f'<meta property="og:site_name" content="{site}">')
    if author:
        head.append(f'<meta name="author" content="{author}">')
    return (f"<!DOCTYPE html><html><head>{''.join(head)}</head><body><nav>Home News Sport</nav>"
            f"<article><h1>{title}</h1>{paras}</article><footer>Contact us</footer></body></html>")


def rss(items: list[tuple[str, str, str | None]], title: str = "Harbour Gazette") -> bytes:
    """An RSS 2.0 feed of (link, title, pubDate or None) items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link>{f'<pubDate>{d}</pubDate>' if d else ''}</item>"
        for link, t, d in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://example.invalid/</link><description>news</description>{entries}</channel></rss>").encode()


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        headers = {k: v for k, v in self.headers.items()}
        self.site.log.append((self.path, headers))
        route = self.site.routes.get(self.path)
        if route is None:
            reply = Reply(b"not found", "text/plain", 404)
        elif callable(route):
            reply = route(headers)
        else:
            reply = route
        if reply.etag and headers.get("If-None-Match") == reply.etag:
            self.send_response(304)
            self.send_header("ETag", reply.etag)
            self.end_headers()
            return
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        streamed = reply.every_s > 0 or reply.repeat > 1
        if not streamed:
            self.send_header("Content-Length", str(len(body)))
        if reply.gzip:
            self.send_header("Content-Encoding", "gzip")
        if reply.etag:
            self.send_header("ETag", reply.etag)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if reply.delay_s:
            self.wfile.flush()
            time.sleep(reply.delay_s)
        parts = body.splitlines(keepends=True) if reply.every_s else [body] * reply.repeat
        self.site.sent[self.path] = 0
        try:
            for part in parts:
                self.wfile.write(part)
                self.site.sent[self.path] += len(part)
                if reply.every_s:
                    self.wfile.flush()
                    time.sleep(reply.every_s)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    """Run the site on 127.0.0.1 on a free port until the block ends."""
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits for the loop to look, and every test pays that wait.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    """A served Site whose robots.txt disallows /private/ (use with `from sources_server import site`)."""
    s = Site()
    s.routes["/robots.txt"] = Reply(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    with serve(s):
        yield s
