"""`newsbot ingest URL...`, `newsbot sync` and `newsbot sources` as real subprocesses (real model),
against a real local HTTP server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources_server import Reply, Site, article_html, rss, serve

NEWSBOT = Path(sys.executable).parent / "newsbot"
FETCH = "[fetch]\ndelay_s = 0.0\nretries = 0\nread_timeout_s = 2.0\n"


def newsbot(*args: str, cwd: Path, data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_EMBEDDER": "minilm", **env}
    if "NEWSBOT_SOURCES" not in env:
        full.pop("NEWSBOT_SOURCES", None)
    return subprocess.run([str(NEWSBOT), *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=600)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.routes["/robots.txt"] = Reply(b"User-agent: *\nAllow: /\n", "text/plain")
    items = [(s.url(f"/a{i}"), f"Story {i}", "Tue, 02 Apr 2024 10:00:00 GMT") for i in range(3)]
    s.routes["/rss"] = Reply(rss(items), "application/rss+xml", etag='"f1"')
    for i in range(3):
        s.routes[f"/a{i}"] = Reply(article_html(f"Story number {i}", seed=f"s{i}").encode(), etag=f'"p{i}"')
    with serve(s):
        yield s


def test_ingest_urls_reports_each_bad_url_and_exits_3(site: Site, tmp_path: Path) -> None:
    site.routes["/doc.pdf"] = Reply(b"%PDF-1.4", "application/pdf")
    site.routes["/err"] = Reply(b"down", "text/plain", 500)
    (tmp_path / "sources.toml").write_text(FETCH, encoding="utf-8")
    good, pdf, err = site.url("/a0"), site.url("/doc.pdf"), site.url("/err")
    result = newsbot("ingest", good, pdf, err, cwd=tmp_path, data=tmp_path / "data")
    assert result.returncode == 3, result.stderr
    lines = result.stderr.splitlines()
    assert f"{pdf}: not an HTML page (Content-Type application/pdf)" in lines
    assert f"{err}: HTTP 500 after 1 try" in lines
    assert re.search(rf"^{re.escape(good)}: 1 new, 0 updated, 0 unchanged, 0 removed, 0 failed", result.stdout, re.M)
    assert re.search(rf"^{re.escape(pdf)}: 0 new, .* 1 failed", result.stdout, re.M)
    stats = newsbot("stats", "--json", cwd=tmp_path, data=tmp_path / "data")
    assert json.loads(stats.stdout)["articles"] == 1


def test_sync_then_sources_then_unchanged_sync(site: Site, tmp_path: Path) -> None:
    conf = tmp_path / "conf" / "my-sources.toml"
    conf.parent.mkdir()
    conf.write_text(f'[sources.gazette]\nurl = "{site.url("/rss")}"\nkind = "feed"\n\n{FETCH}', encoding="utf-8")
    env = {"NEWSBOT_SOURCES": str(conf)}
    data = tmp_path / "data"
    first = newsbot("sync", cwd=tmp_path, data=data, **env)
    assert first.returncode == 0, first.stderr
    assert re.search(r"^gazette: 3 new, 0 updated, 0 unchanged, 0 removed, 0 failed", first.stdout, re.M)
    listed = newsbot("sources", "--json", cwd=tmp_path, data=data, **env)
    (row,) = json.loads(listed.stdout)
    assert row["name"] == "gazette" and row["articles"] == 3 and row["last_error"] is None and row["last_sync"]
    again = newsbot("sync", "--json", cwd=tmp_path, data=data, **env)
    report = json.loads(again.stdout)["sources"][0]
    assert (report["new"], report["unchanged"], report["requests"]) == (0, 3, 1)
    text = newsbot("sources", cwd=tmp_path, data=data, **env)
    assert "articles: 3; last error: none" in text.stdout


def test_sync_without_sources_says_what_to_do(tmp_path: Path) -> None:
    result = newsbot("sync", cwd=tmp_path, data=tmp_path / "data")
    assert result.returncode == 1
    assert "no sources: add [sources.NAME] tables" in result.stderr
