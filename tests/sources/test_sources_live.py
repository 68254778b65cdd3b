"""`--sync-every`: the serving process syncs its sources itself and answers from a new article at once.

The in-process tests drive `SyncLoop` on a real pipeline (real Chroma, state DB and BM25; the hashing
embedder). The end-to-end tests run the real `newsbot slack --http --sync-every` and `newsbot repl
--sync-every` as subprocesses against a feed on a local HTTP server (tests/sources_server.py) and
the local fake Slack Web API (tests/slack_fake.py), with the deterministic settings conftest sets for
subprocesses (extractive answerer, fp32 MiniLM).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from slack_fake import FakeSlack, event_body, mention, post_event
from sources_server import site  # noqa: F401 - the fixture
from sources_server import Reply, Site, article_html, rss
from slack_support import ROOT, SECRET, Output, texts_of

from bot.cli import build_parser
from bot.embed import HashEmbedder
from bot.errors import ConfigError
from bot.ingest import ingest_lock
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.sources.config import Source, SourcesConfig, load_sources
from bot.sources.fetch import FetchOptions
from bot.sources.schedule import SyncLoop, redact, start_sync_loop

FAST = FetchOptions(delay_s=0.0, backoff_s=0.05, retries=0, read_timeout_s=5.0, workers=4)
NEW_FACT = "The Quillfeather lighthouse reopened on Tuesday after repairs costing 4 million euros."


def publish(site: Site, items: list[tuple[str, str, str]], version: int) -> None:
    """Serve a feed of (path, title, seed sentence) items, each page an article on its own topic."""
    site.routes["/rss"] = Reply(rss([(site.url(p), t, "Tue, 02 Apr 2024 10:00:00 GMT") for p, t, _ in items]),
                                "application/rss+xml", etag=f'"feed-v{version}"')
    for path, title, seed in items:
        if path not in site.routes:
            site.routes[path] = Reply(article_html(title, words=48, seed=seed).encode(), etag=f'"{path}"')


FIRST = ("/a0", "Ferry timetable changes", "The harbour ferry now leaves every twenty minutes.")
NEW = ("/a1", "Quillfeather lighthouse reopens", NEW_FACT)


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not callable(predicate) or not predicate():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


# --- the loop in one process -------------------------------------------------------------------
def test_bad_sync_every_is_an_argparse_error_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("slack", "repl"):
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([command, "--sync-every", "5 fortnights"])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert "argument --sync-every: '5 fortnights' is not a duration such as 30s, 15m or 1h" in err
    args = build_parser().parse_args(["slack", "--http", "--sync-every", "15m"])
    assert args.sync_every == 900.0
    assert build_parser().parse_args(["repl", "--sync-every", "30s"]).sync_every == 30.0
    assert build_parser().parse_args(["repl"]).sync_every is None


def test_loop_indexes_a_new_item_and_the_same_process_retrieves_it_dense_and_bm25(
        site: Site, tmp_path: Path) -> None:  # noqa: F811
    publish(site, [FIRST], 1)
    config = SourcesConfig((Source("gazette", site.url("/rss")),), FAST)
    embedder = HashEmbedder()
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data", chroma_shard_chunks=4), embedder=embedder)
    synced = threading.Event()
    loop = SyncLoop(pipeline, 0.3, load=lambda: config, on_synced=lambda r: synced.set())
    loop.start()
    try:
        assert synced.wait(30)
        pipeline.warm_up()  # the serving process has read the index before the new item arrives
        before = pipeline.store.count()
        publish(site, [FIRST, NEW], 2)
        wait_until(lambda: pipeline.state.counts()["documents"] == 2, 30, "the new article")
        wait_until(lambda: len(pipeline.lexical) == pipeline.state.counts()["chunks"], 10, "BM25")
    finally:
        assert loop.stop(30)
    new_ids = {c for c in pipeline.state.all_chunk_ids()
               if pipeline.state.passages([c])[c].url == site.url("/a1")}
    assert new_ids and pipeline.store.count() == before + len(new_ids)
    vector = embedder.embed([pipeline.state.passages(sorted(new_ids))[sorted(new_ids)[0]].text])[0]
    assert sorted(new_ids)[0] in {c for c, _ in pipeline.store.search(vector, 3)}  # this process's Chroma sees it
    hits = pipeline.retrieve(pipeline.query("When did the Quillfeather lighthouse reopen?"))
    assert hits[0].passage.url == site.url("/a1") and hits[0].lexical_rank == 1
    assert loop.last_error is None and loop.runs >= 2


def test_a_run_that_finds_the_ingest_lock_held_is_skipped_not_queued(site: Site, tmp_path: Path) -> None:  # noqa: F811
    publish(site, [FIRST], 1)
    config = SourcesConfig((Source("gazette", site.url("/rss")),), FAST)
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    loop = SyncLoop(pipeline, 0.2, load=lambda: config)
    with ingest_lock(pipeline.settings.data_dir):  # another ingest is writing
        loop.start()
        wait_until(lambda: loop.skipped >= 3, 10, "three skipped runs")
        assert pipeline.state.counts()["documents"] == 0 and site.hits("/rss") == []  # nothing fetched for nothing
    wait_until(lambda: pipeline.state.counts()["documents"] == 1, 30, "the next run after the lock was freed")
    assert loop.stop(30)


def test_a_sync_error_is_logged_without_secrets_and_the_loop_goes_on(
        site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    site.routes["/rss?token=hunter2"] = Reply(b"oops", "text/plain", 500)
    calls = []

    def load() -> SourcesConfig:
        calls.append(1)
        if len(calls) == 2:
            return _broken(tmp_path)
        return SourcesConfig((Source("gazette", site.url("/rss?token=hunter2")),), FAST)

    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    caplog.set_level(logging.INFO, logger="bot.sources.schedule")
    loop = SyncLoop(pipeline, 0.2, load=load).start()
    wait_until(lambda: len(calls) >= 4, 20, "four runs")
    assert loop.stop(30)
    text = caplog.text
    assert "hunter2" not in text and "token" not in text
    assert re.search(r"sync: http://127\.0\.0\.1:\d+/rss: HTTP 500", text)
    assert "sync failed: " in text and "not valid TOML" in text  # the broken file, logged, and the loop went on
    assert redact("see https://user:pw@feeds.example/rss?key=abc#x now") == "see https://feeds.example/rss#x now"


def _broken(tmp_path: Path) -> SourcesConfig:
    bad = tmp_path / "broken.toml"
    bad.write_text("[sources.x\n", encoding="utf-8")
    return load_sources(bad)


def test_sync_every_without_sources_is_refused_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "sources.toml"
    empty.write_text("[fetch]\ndelay_s = 1.0\n", encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_SOURCES", str(empty))
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"), embedder=HashEmbedder())
    assert start_sync_loop(pipeline, None) is None
    with pytest.raises(ConfigError, match=r"^--sync-every has nothing to sync: add \[sources.NAME\] tables"):
        start_sync_loop(pipeline, 60.0)


# --- the real processes ----------------------------------------------------------------------------
def _env(tmp_path: Path, site: Site, slack: FakeSlack | None = None) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[sources.gazette]\nurl = "{site.url("/rss")}"\n\n[fetch]\ndelay_s = 0.0\nretries = 0\n',
                       encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSBOT_"))}
    env.update(NEWSBOT_DATA_DIR=str(tmp_path / "data"), NEWSBOT_SOURCES=str(sources),
               NEWSBOT_ANSWERER=os.environ.get("NEWSBOT_ANSWERER", "extractive"),
               NEWSBOT_EMBEDDER=os.environ.get("NEWSBOT_EMBEDDER", "minilm"))
    if slack is not None:
        env.update(SLACK_BOT_TOKEN="xoxb-test-bot-token", SLACK_SIGNING_SECRET=SECRET, NEWSBOT_SLACK_API_URL=slack.api_url)
    return env


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


EVERY_S = 3.0


@pytest.mark.slow
def test_slack_bot_with_sync_every_answers_from_an_item_added_to_the_feed(site: Site, tmp_path: Path) -> None:  # noqa: F811
    """Real `newsbot slack --http --sync-every 3s`: an item added to the feed is answered from, citing
    its url, within one interval plus the sync's own time; a question asked during a sync is answered."""
    publish(site, [FIRST], 1)
    with FakeSlack(bot_token="xoxb-test-bot-token") as slack:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "slack", "--http", "--port", "0", "--sync-every", f"{EVERY_S:g}s"],
            env=_env(tmp_path, site, slack), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output = Output(proc)
        try:
            base = output.wait_for(r"serving Slack events on (http://127\.0\.0\.1:\d+)/slack/events").group(1)
            wait_until(lambda: _get(base + "/readyz") == 200, 120, "/readyz (the first sync filled the index)")
            output.wait_for(r"sync: gazette: 1 new")

            # The new item's page is slow, so the sync is still running when a question arrives.
            site.routes["/a1"] = Reply(article_html(NEW[1], words=48, seed=NEW[2]).encode(), etag='"a1"', delay_s=1.5)
            added = time.monotonic()
            publish(site, [FIRST, NEW], 2)
            wait_until(lambda: bool(site.hits("/a1")), EVERY_S + 10, "the sync to fetch the new page")
            during = mention("How often does the harbour ferry leave?")
            assert post_event(base + "/slack/events", SECRET, event_body(during))[0] == 200
            assert "sync: gazette: 1 new, 0 updated, 1 unchanged" not in "".join(output.lines)  # during the sync
            [answer_during] = slack.wait_for("chat.postMessage", 1, timeout=60,
                                             where=lambda c: c.params.get("thread_ts") == during["ts"])
            sync_line = output.wait_for(r"sync: gazette: 1 new, 0 updated, 1 unchanged, 0 removed, 0 failed "
                                        r"\(\d+ requests, ([\d.]+)s\)", timeout=EVERY_S + 30)
            synced = time.monotonic()
            sync_s = float(sync_line.group(1))
            question = mention("When did the Quillfeather lighthouse reopen?")
            assert post_event(base + "/slack/events", SECRET, event_body(question))[0] == 200
            [reply] = slack.wait_for("chat.postMessage", 1, timeout=60,
                                     where=lambda c: c.params.get("thread_ts") == question["ts"])
            answered = time.monotonic()
            proc.terminate()
            assert proc.wait(timeout=60) == 0, output.text()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert "ferry" in texts_of(answer_during.params) and "twenty minutes" in texts_of(answer_during.params)
    shown = texts_of(reply.params)
    assert "Quillfeather" in shown and site.url("/a1") in shown
    # within one interval plus the sync's own time (and a little for the process's bookkeeping)
    assert synced - added <= EVERY_S + sync_s + 2.0, (synced - added, sync_s)
    delay = answered - added
    print(f"\nitem added -> answered in Slack: {delay:.1f} s (interval {EVERY_S:g} s, sync {sync_s:.1f} s, "
          f"answer {answered - synced:.1f} s)")
    assert "sync: stopped" in output.text() and "Traceback" not in output.text()


@pytest.mark.slow
def test_repl_with_sync_every_answers_from_an_item_added_to_the_feed(site: Site, tmp_path: Path) -> None:  # noqa: F811
    publish(site, [FIRST, NEW], 1)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "-v", "repl", "--sync-every", "1s"],
                            env=_env(tmp_path, site), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    output = Output(proc)
    try:
        output.wait_for(r"sync: gazette: 2 new")
        assert proc.stdin is not None
        proc.stdin.write("When did the Quillfeather lighthouse reopen?\n:quit\n")
        proc.stdin.close()
        assert proc.wait(timeout=120) == 0, output.text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = output.text()
    assert "Quillfeather lighthouse reopened on Tuesday" in text and site.url("/a1") in text
    assert "sync: stopped" in text and "Traceback" not in text
