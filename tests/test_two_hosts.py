"""Past one host (issue 19): hosts with data dirs of their own share the state on PostgreSQL (and the
vectors on a `chroma run` server). A host's BM25 cache follows the shared database; two real
`newsbot slack --http` workers answer an event and its retry once, keep a thread's context when the
follow-up lands on the other worker, and answer from an article the other host ingested, without a
restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from slack_fake import FakeSlack, event_body, mention, message, post_event

from bot.conversation import SessionStore
from bot.embed import HashEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.slack.threads import session_key
from postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-bot-token"

NIO = ("---\ntitle: Xiaomi in talks with Nio\nsource: Reuters\npublished: 2024-03-05\n---\n"
       "Xiaomi is in talks with Nio about buying a stake in Nio's car unit, people familiar with the matter said. "
       "The stake would give Xiaomi a factory licence.\n")
CLUB = ("---\ntitle: Club signs striker\nsource: Sport Daily\npublished: 2024-03-04\n---\n"
        "The club signed the striker Jonas Berg from Malmo on a three-year contract.\n")
RAVEL = ("---\ntitle: Ravel Outdoor results\nsource: Wire\npublished: 2024-03-06\n---\n"
         "Ravel Outdoor said its bicycle revenue was 31.7 million euros in the quarter, down 9 percent.\n")


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_host_follows_the_shared_database(postgres: PostgresServer, tmp_path: Path) -> None:
    """Host B starts with no BM25 cache and builds it from the database; after host A ingests again,
    B catches up from the lexical log (its old segment is kept: incremental, not rebuilt)."""
    url = postgres.new_url()
    corpus = tmp_path / "corpus"
    write(corpus, "nio.md", NIO)
    write(corpus, "club.md", CLUB)
    for n in range(3):  # so that one deletion leaves the first segment mostly live (not rewritten)
        write(corpus, f"filler{n}.md", f"Harbour report {n}: the port counted {n + 40} ships this week.\n")
    a = Pipeline(Settings(data_dir=tmp_path / "a", database_url=url), embedder=HashEmbedder())
    a.ingest([corpus])
    b = Pipeline(Settings(data_dir=tmp_path / "b", database_url=url), embedder=HashEmbedder())
    b.warm_up()
    assert sorted(b.lexical.chunk_ids()) == sorted(a.state.all_chunk_ids())
    assert b.lexical.search("Jonas Berg striker", 1)[0][0] in a.state.all_chunk_ids()
    first = b.lexical.segment_names

    write(corpus, "ravel.md", RAVEL)
    (corpus / "club.md").unlink()
    a.ingest([corpus])
    b.follow_index(force=True)
    assert sorted(b.lexical.chunk_ids()) == sorted(a.state.all_chunk_ids())
    assert first[0] in b.lexical.segment_names and b.lexical.generation == a.state.generation()
    assert b.lexical.search("Ravel bicycle revenue", 1) and not b.lexical.search("Jonas Berg striker", 1)


class Worker:
    """A `newsbot slack --http` process with its own data dir."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--http", "--port", "0"], env=env,
                                     cwd=ROOT, stdout=self._fh, stderr=subprocess.STDOUT, text=True)
        self.base = ""

    def wait_ready(self, timeout: float = 240) -> None:
        import re

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"serving Slack events on (http://127\.0\.0\.1:\d+)/slack/events", self.log.read_text())
            if found:
                self.base = found.group(1)
                try:
                    with urllib.request.urlopen(self.base + "/readyz", timeout=5) as resp:
                        if resp.status == 200:
                            return
                except OSError:
                    pass
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.3)
        raise AssertionError(f"worker not ready: {self.log.read_text()[-2000:]}")

    def send(self, body: dict[str, object], retry: int = 0) -> int:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return post_event(self.base + "/slack/events", SECRET, body, headers=headers)[0]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._fh.close()


@pytest.mark.slow
def test_two_slack_workers_on_two_hosts(postgres: PostgresServer, chroma_server: tuple[str, int], tmp_path: Path) -> None:
    url = postgres.new_url()
    corpus = tmp_path / "corpus"
    write(corpus, "nio.md", NIO)
    write(corpus, "club.md", CLUB)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSBOT_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, NEWSBOT_DATABASE_URL=url,
               NEWSBOT_CHROMA_HOST=chroma_server[0], NEWSBOT_CHROMA_PORT=str(chroma_server[1]),
               NEWSBOT_ANSWERER="extractive", NEWSBOT_EMBEDDER="minilm")
    hosts = {name: {**env, "NEWSBOT_DATA_DIR": str(tmp_path / name)} for name in ("a", "b")}
    ingest = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(corpus)], env=hosts["a"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    with FakeSlack(bot_token=BOT_TOKEN) as slack:
        workers: list[Worker] = []
        try:
            for name in ("a", "b"):
                workers.append(Worker({**hosts[name], "NEWSBOT_SLACK_API_URL": slack.api_url}, tmp_path / f"{name}.log"))
            for w in workers:
                w.wait_ready()
            a, b = workers

            # Events, each sent to one worker and its retry (same event id) to the other, as a load
            # balancer may do: every one answered exactly once.
            events = [mention(q, user=f"U{i}") for i, q in enumerate(
                ["Who is Xiaomi talking to?", "Who did the club sign?"] * 5)]
            started = time.monotonic()
            for i, event in enumerate(events):
                body = event_body(event)
                first, second = (a, b) if i % 2 == 0 else (b, a)
                assert first.send(body) == 200 and second.send(body, retry=1) == 200
            slack.wait_for("chat.postMessage", count=len(events), timeout=240)
            time.sleep(2)  # a duplicate would come now
            replies = slack.replies("C0NEWS")
            per_thread = {e["ts"]: [r for r in replies if r.get("thread_ts") == e["ts"]] for e in events}
            seconds = time.monotonic() - started
            assert all(len(r) == 1 for r in per_thread.values()), {k: len(v) for k, v in per_thread.items()}
            assert "Nio" in per_thread[events[0]["ts"]][0]["text"]

            # A follow-up in the thread of an answer worker A gave, delivered to worker B.
            thread = events[0]["ts"]
            follow = message("What would they buy?", channel="C0NEWS", channel_type="channel", thread_ts=thread)
            assert b.send(event_body(follow)) == 200
            slack.wait_for("chat.postMessage", count=len(events) + 1, timeout=120)
            turns = SessionStore(url).load(session_key("C0NEWS", thread)).turns
            assert len(turns) == 2 and "Xiaomi" in turns[1].standalone, [t.standalone for t in turns]
            assert "stake" in slack.replies("C0NEWS")[-1]["text"]

            # An article ingested on host A is answered by worker B, which was not restarted.
            write(corpus, "ravel.md", RAVEL)
            again = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(corpus)], env=hosts["a"],
                                   cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert again.returncode == 0, again.stderr
            ask = mention("What was Ravel Outdoor's bicycle revenue?")
            assert b.send(event_body(ask)) == 200
            [answer] = slack.wait_for("chat.postMessage", count=len(events) + 2, timeout=120)[-1:]
            assert "31.7" in answer.params["text"], answer.params["text"]
        finally:
            for w in workers:
                w.stop()
    figures = {"events": len(events), "deliveries": 2 * len(events), "answers": sum(len(v) for v in per_thread.values()),
               "duplicates": sum(len(v) - 1 for v in per_thread.values()), "follow_ups": 1,
               "follow_up_kept_context": True, "cross_host_article_answered": True,
               "seconds_to_answer_all": round(seconds, 1)}
    print("two-host figures:", json.dumps(figures))


def test_one_ingest_at_a_time_across_hosts(postgres: PostgresServer, tmp_path: Path) -> None:
    """Two data dirs on one shared database: while host A's ingest writes, host B's is refused (or waits)."""
    from bot.errors import IndexBusyError

    url = postgres.new_url()
    corpus = tmp_path / "corpus"
    write(corpus, "nio.md", NIO)
    a = Pipeline(Settings(data_dir=tmp_path / "a", database_url=url), embedder=HashEmbedder())
    b = Pipeline(Settings(data_dir=tmp_path / "b", database_url=url), embedder=HashEmbedder())
    with a.state.writer_lock():
        with pytest.raises(IndexBusyError, match="another newsbot ingest .on this or another host. is writing to the shared database postgresql://newsbot@"):
            b.ingest([corpus])
    assert b.ingest([corpus]).added == 1
