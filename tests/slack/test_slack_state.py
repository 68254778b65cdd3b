"""Slack's store (bot/slack/state.py) on both backends: claims taken once across connections,
processes and concurrent workers, claims and the rate limit in one transaction, rates per user."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.schema import Citation
from bot.slack.state import SlackState


def test_claim_is_shared_across_connections_and_expires(database: Path | str) -> None:
    a, b = SlackState(database, dedup_ttl_s=10), SlackState(database, dedup_ttl_s=10)
    assert a.claim("event:E1", now=1000.0)
    assert not b.claim("event:E1", now=1005.0)
    assert b.claim("event:E1", now=1011.0)  # past the TTL


def test_claim_under_concurrency_is_taken_once(database: Path | str) -> None:
    state = SlackState(database)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(state.claim("event:same"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_admit_under_concurrent_workers_is_taken_once(database: Path | str) -> None:
    """Four stores (as four worker processes would have, each with its own connections) admit an event
    and its retry under other event ids sharing the message key: exactly one admission per message."""
    stores = [SlackState(database) for _ in range(4)]
    admitted: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        for m in range(20):
            got = stores[i % 4].admit([f"msg:C1:{m}", f"event:E{m}-{i}"], user=f"U{m}", limit=5)
            if got is not None:
                with lock:
                    admitted.append(m)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(admitted) == list(range(20))


def test_admit_takes_keys_and_counts_the_rate_together(database: Path | str) -> None:
    state = SlackState(database)
    first = state.admit(["msg:C1:1", "event:E1"], user="U1", limit=1)
    assert first is not None and first.allowed
    assert state.admit(["msg:C1:1", "event:E2"], user="U1", limit=1) is None  # same message, other event
    assert state.admit(["msg:C1:2", "event:E1"], user="U1", limit=1) is None  # a retry of the event
    assert not state.claim("msg:C1:1") and state.claim("msg:C1:3")
    assert state.claim("event:E2")  # the refused admission took none of its keys
    over = state.admit(["msg:C1:4"], user="U1", limit=1)
    assert over is not None and not over.allowed and over.notify
    assert state.admit(["msg:C1:5"], user=None, limit=1) == state.admit([], user="U2", limit=1)


def test_rate_limit_per_user_warns_once_per_wait(database: Path | str) -> None:
    state = SlackState(database)
    assert state.rate("U1", limit=2, now=0).allowed
    assert state.rate("U1", limit=2, now=1).allowed
    third = state.rate("U1", limit=2, now=2)
    assert not third.allowed and third.notify and third.retry_after_s == pytest.approx(58)
    assert not state.rate("U1", limit=2, now=3).notify
    assert state.rate("U2", limit=2, now=3).allowed
    assert state.rate("U1", limit=2, now=61).allowed


def test_threads_answers_votes_and_notices(database: Path | str) -> None:
    a, b = SlackState(database), SlackState(database)
    a.mark_thread("C1", "1.0")
    assert b.is_bot_thread("C1", "1.0") and not b.is_bot_thread("C1", "2.0")
    cite = Citation(n=1, article_id="a", title="T", source="Wire", published="2022-08-01", url=None,
                    path="a.md", quote="q", chunk_id="d:0")
    a.save_answer("A1", question="q?", answer="a [1]", abstained=False, citations=[cite], channel="C1",
                  thread_ts="1.0", asked_by="U1")
    assert b.record_vote("A1", user="U2", channel=None, vote="up")
    assert b.record_vote("A1", user="U2", channel=None, vote="down")  # a second click replaces the first
    assert not b.record_vote("nope", user="U2", channel=None, vote="up")
    votes = list(a.feedback())
    assert [(v["user"], v["vote"], v["channel"]) for v in votes] == [("U2", "down", "C1")]
    assert votes[0]["citations"][0]["quote"] == "q"
    assert a.once("notice:C9") and not b.once("notice:C9")
