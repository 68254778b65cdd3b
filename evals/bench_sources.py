"""Speed of live-source syncs against a local HTTP server: a first sync of an N-item RSS feed
(articles/s, real embedding model), a sync with nothing new (feed answers 304), and a sync after the
feed changed but no page did (every page answers 304).

    .venv/bin/python evals/bench_sources.py [--items 500] [--embedder minilm]

The machine is usually shared, so the figures are rough.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.sources.config import Source
from bot.sources.fetch import FetchOptions
from bot.sources.sync import sync_sources

TOPICS = ("harbour bridge council vote budget ferry port union strike rail tram station energy grid "
          "school hospital museum library festival market storm river election mayor").split()


def _page(i: int) -> bytes:
    words = [TOPICS[(i * 13 + k * 7) % len(TOPICS)] for k in range(300)]
    paras = "".join(f"<p>Item {i}: {' '.join(words[k:k + 15])}.</p>" for k in range(0, 300, 15))
    return (f"<!DOCTYPE html><html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
            f"{paras}</article></body></html>").encode()


def _feed(n: int, version: int) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>/a/{i}</link></item>" for i in range(n))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench v{version}</title>"
            f"<link>http://bench/</link><description>d</description>{items}</channel></rss>").encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--embedder", default="minilm")
    args = ap.parse_args()
    state = {"feed": _feed(args.items, 1), "etag": '"v1"'}
    pages = {f"/a/{i}": _page(i) for i in range(args.items)}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body, etag, ctype = b"User-agent: *\nAllow: /\n", None, "text/plain"
            elif self.path == "/rss":
                body, etag, ctype = state["feed"], state["etag"], "application/rss+xml"
            elif self.path in pages:
                body, etag, ctype = pages[self.path], f'"{self.path}"', "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.end_headers()
                return
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/rss"
    options = FetchOptions(delay_s=0.0, per_host=8, workers=8)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = Pipeline(Settings(data_dir=Path(tmp) / "data", embedder=args.embedder))
        pipeline.warm_up()
        source = Source("bench", url, kind="feed")
        for label in ("first", "nothing_new", "feed_changed_pages_not"):
            if label == "feed_changed_pages_not":
                state["feed"], state["etag"] = _feed(args.items, 2), '"v2"'
            t0 = time.perf_counter()
            r = sync_sources(pipeline, [source], options=options).sources[0]
            seconds = time.perf_counter() - t0
            results[label] = {"seconds": round(seconds, 2), "requests": r.requests, "new": r.new,
                              "unchanged": r.unchanged, "failed": len(r.failed),
                              "articles_per_s": round(r.new / seconds, 1) if r.new else None}
    server.shutdown()
    print(json.dumps({"items": args.items, "embedder": args.embedder, **results}, indent=2))


if __name__ == "__main__":
    main()
