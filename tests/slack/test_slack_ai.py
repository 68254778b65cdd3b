"""Slack as an AI app: the manifest in step with the code, the assistant view, streamed answers with
their fallback, the answer queue, readiness, and a graceful stop on SIGTERM. Real bolt app served by
uvicorn, real slack_sdk client, the local fake Slack Web API (tests/slack_fake.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_fake import event_body, mention, message, post_event
from slack_support import ARTICLES, ROOT, SECRET, Running, texts_of

from bot.answer.base import AnswerStream, Capabilities
from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.llm_local import FifoLock
from bot.pipeline import Pipeline
from bot.schema import Hit, Query, Reply
from bot.slack import manifest
from bot.slack.app import build_bot
from bot.slack.blocks import PRELIMINARY_LABEL, PRELIMINARY_NOTE
from bot.slack.listeners import COMMAND_SCOPE, EVENT_SCOPES
from bot.slack.streaming import METHOD_SCOPES

GENERATED = ("Xiaomi is in talks with Nio about buying a stake in Nio's car unit [1]. "
             "The deal is worth 9 billion dollars and was approved by regulators [1]. "
             "Xiaomi also owns Ford [7].")


def streamed_text(call: Any) -> str:
    """The markdown a streaming call added to its message."""
    return str(call.params.get("markdown_text") or "") + "".join(
        str(c.get("text", "")) for c in call.params.get("chunks") or [] if c.get("type") == "markdown_text")


def quotes_the_articles(preliminary: str) -> bool:
    """Whether the preliminary answer's quote is the articles' own words (checked by construction)."""
    quote = preliminary.split(PRELIMINARY_LABEL, 1)[1].split("\n", 1)[0].strip(" _")
    return bool(quote) and any(quote.replace("&amp;", "&") in a.text for a in ARTICLES)


def generative(pipeline: Pipeline, llm_url: str) -> Pipeline:
    from bot.answer.generate import GenerativeAnswerer
    from bot.answer.llm_chat import ChatModelBackend

    backend = ChatModelBackend("openai:gpt-test", base_url=llm_url)
    answerer = GenerativeAnswerer(backend, pipeline.embedder, fallback=ExtractiveAnswerer())
    return Pipeline(pipeline.settings, embedder=pipeline.embedder, answerer=answerer)


def assistant_started(channel: str = "D0ALICE", thread_ts: str = "1700000100.000100") -> dict[str, Any]:
    return {"type": "assistant_thread_started", "event_ts": thread_ts,
            "assistant_thread": {"user_id": "U0ALICE", "channel_id": channel, "thread_ts": thread_ts,
                                 "context": {"channel_id": "C0NEWS", "team_id": "T0NEWS"}}}


# --- the manifest ---------------------------------------------------------------------------------
def _event_names(bot_events: Sequence[str]) -> set[str]:
    return {e.split(".")[0] for e in bot_events}


def test_manifest_grants_exactly_what_the_code_uses(serve: Callable[..., Running], pipeline: Pipeline) -> None:
    data = manifest.load()
    bot_events = data["settings"]["event_subscriptions"]["bot_events"]
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    # every event a listener handles is subscribed, and every subscription has a listener
    run = serve()
    from slack_bolt import BoltRequest, BoltResponse

    assert run.bot.app is not None
    handled = set()
    for name in set(EVENT_SCOPES) | {"reaction_added", "app_home_opened", "member_joined_channel", "team_join"}:
        kind = name.split(".")[0]
        event = {"type": kind, "user": "U0ALICE", "channel": "D0ALICE", "channel_type": "im", "ts": "1.2",
                 "text": "hi", "assistant_thread": {"channel_id": "D0ALICE", "thread_ts": "1.2"}}
        req = BoltRequest(body=json.dumps(event_body(event)), mode="socket_mode")
        listeners = list(run.bot.app._listeners) + [
            m for mw in run.bot.app._middleware_list for m in (getattr(mw, "_thread_started_listeners", None) or [])
            + (getattr(mw, "_thread_context_changed_listeners", None) or [])]
        if any(lis.matches(req=req, resp=BoltResponse(status=200)) for lis in listeners):
            handled.add(kind)
    assert handled == _event_names(bot_events) == _event_names(EVENT_SCOPES)
    assert set(bot_events) == set(EVENT_SCOPES)
    # every scope is needed by an event, a Web API method or /ask, and each of those is granted
    needed = set(EVENT_SCOPES.values()) | {s for s in METHOD_SCOPES.values() if s} | {COMMAND_SCOPE}
    assert scopes == needed
    assert [c["command"] for c in data["features"]["slash_commands"]] == ["/ask"]
    assert data["settings"]["interactivity"]["is_enabled"] is True and "assistant_view" in data["features"]


def test_every_method_the_bot_calls_has_its_scope(serve: Callable[..., Running], pipeline: Pipeline) -> None:
    """Drive mentions, DMs, the assistant view and a streamed answer; every Web API call is in METHOD_SCOPES."""
    from openai_fake import OpenAIFake, Step

    with OpenAIFake([Step(reply=GENERATED)]) as llm:
        run = serve(generative(pipeline, llm.base_url))
        run.send(assistant_started())
        run.send(message("Who is Xiaomi talking to?", thread_ts="1700000100.000100"))
        run.fake.wait_for("chat.stopStream")
        run.idle()
    plain = serve()
    plain.send(mention("Who did the club sign?"))
    plain.fake.wait_for("chat.postMessage", 2)
    plain.idle()
    called = {c.method for c in plain.fake.calls}
    assert {"assistant.threads.setSuggestedPrompts", "chat.startStream", "reactions.add"} <= called
    granted = set(manifest.load()["oauth_config"]["scopes"]["bot"])
    for method in called:
        assert method in METHOD_SCOPES, f"{method} is called but has no entry in METHOD_SCOPES"
        assert METHOD_SCOPES[method] is None or METHOD_SCOPES[method] in granted


def test_cli_prints_the_manifest_for_http_and_socket_mode() -> None:
    def newsbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot.cli", "slack", "manifest", *args],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)

    http = newsbot("--url", "https://news.example.org")
    assert http.returncode == 0, http.stderr
    data = json.loads(http.stdout)
    urls = [data["settings"]["event_subscriptions"]["request_url"], data["settings"]["interactivity"]["request_url"],
            data["features"]["slash_commands"][0]["url"]]
    assert urls == ["https://news.example.org/slack/events"] * 3 and data["settings"]["socket_mode_enabled"] is False
    sock = newsbot("--socket", "--format", "yaml")
    assert sock.returncode == 0, sock.stderr
    data = yaml.safe_load(sock.stdout)
    assert data["settings"]["socket_mode_enabled"] is True and "HOST" not in sock.stdout
    assert data["oauth_config"] == manifest.load()["oauth_config"]
    bad = newsbot("--url", "http://news.example.org")
    assert bad.returncode != 0 and "must be an https:// address" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_slack_without_a_mode_is_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "slack"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSBOT_"))})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "newsbot: newsbot slack needs --http or --socket (or the manifest action: newsbot slack manifest --help)")


# --- the assistant view and streaming ------------------------------------------------------------------
def test_assistant_thread_started_greets_with_prompts_from_the_index(serve: Callable[..., Running]) -> None:
    run = serve()
    assert run.bot.ready.wait(60)
    run.send(assistant_started())
    [prompts] = run.fake.wait_for("assistant.threads.setSuggestedPrompts")
    run.idle()
    [greeting] = run.fake.replies()
    assert greeting["thread_ts"] == "1700000100.000100" and "Ask me about the news" in greeting["text"]
    shown = prompts.params["prompts"]
    assert 1 <= len(shown) <= 4
    # the outlets with the newest articles first, each prompt about its newest article
    assert [p["title"] for p in shown] == ["Latest from Weather Desk", "Latest from Reuters",
                                           "Latest from Local & Co", "Latest from Sports Daily"]
    assert shown[1]["message"] == "What is the news about Xiaomi in talks with Nio?"


def test_assistant_question_sets_status_and_title_and_streams_checked_sentences(
    serve: Callable[..., Running], pipeline: Pipeline
) -> None:
    from openai_fake import OpenAIFake, Step

    with OpenAIFake([Step(reply=GENERATED)]) as llm:
        run = serve(generative(pipeline, llm.base_url))
        assert run.bot.ready.wait(60)
        thread = "1700000200.000100"
        run.send(message("Who is Xiaomi talking to?", thread_ts=thread))
        run.fake.wait_for("chat.stopStream")
        run.idle()
    # searching, then (the preliminary answer, a reply, cleared it) writing while the model reads
    status, writing = run.fake.calls_to("assistant.threads.setStatus")
    assert status.params["status"] == "is searching 5 articles" and status.params["thread_ts"] == thread
    assert status.params["loading_messages"] == ["Searching 5 articles\u2026", "Writing the answer\u2026"]
    assert writing.params["status"] == "is writing the answer" and writing.params["thread_ts"] == thread
    [title] = run.fake.calls_to("assistant.threads.setTitle")
    assert title.params["title"] == "Who is Xiaomi talking to?"
    calls = run.fake.calls
    assert calls.index(status) < [c.method for c in calls].index("chat.startStream") < calls.index(writing)
    assert calls.index(writing) < [c.method for c in calls].index("chat.appendStream")
    [start] = run.fake.calls_to("chat.startStream")
    assert PRELIMINARY_LABEL in streamed_text(start) and quotes_the_articles(streamed_text(start))
    model = json.dumps([c.params for c in run.fake.calls if c.method in ("chat.appendStream", "chat.stopStream")])
    assert "Nio" in model and "9 billion" not in model and "Ford" not in model  # only checked sentences
    [msg] = run.fake.replies()
    assert "xiaomi-nio" in texts_of(msg) and "newsbot_vote_up" in texts_of(msg)
    assert run.fake.calls_to("reactions.add") == []  # the status says what is going on
    # a follow-up in the same thread goes through its conversation, and keeps the title
    turns = run.bot.sessions.load(f"slack:D0ALICE:{thread}").turns
    assert [t.question for t in turns] == ["Who is Xiaomi talking to?"]


def test_assistant_follow_up_uses_the_thread_conversation(serve: Callable[..., Running]) -> None:
    run = serve()
    thread = "1700000300.000100"
    run.send(message("Who is Xiaomi talking to?", thread_ts=thread))
    run.fake.wait_for("chat.postMessage")
    run.idle()
    run.send(message("and when does it want to mass-produce?", thread_ts=thread))
    second = run.fake.wait_for("chat.postMessage", 2)[1].params
    run.idle()
    assert second["thread_ts"] == thread and "2025" in second["text"]
    turns = run.bot.sessions.load(f"slack:D0ALICE:{thread}").turns
    assert len(turns) == 2 and "Xiaomi" in turns[1].standalone
    assert len(run.fake.calls_to("assistant.threads.setTitle")) == 1  # titled by the first question only
    statuses = run.fake.calls_to("assistant.threads.setStatus")
    assert [c.params["status"] for c in statuses] == ["is searching 5 articles"] * 2
    assert all("loading_messages" not in c.params for c in statuses)  # the extractive answer comes at once


def test_a_top_level_dm_is_answered_as_before_without_the_assistant_view(serve: Callable[..., Running]) -> None:
    run = serve()
    event = message("When will the Elm Street bridge close?")  # no thread: a workspace without the view
    run.send(event)
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    assert reply.params["thread_ts"] == event["ts"] and "Monday" in reply.params["text"]
    assert not [c for c in run.fake.calls if c.method.startswith("assistant.")]
    assert len(run.fake.calls_to("reactions.add")) == 1


def test_turnstile_keeps_order_and_counts_places() -> None:
    from bot.slack.queue import QueueFull, Turnstile

    gate = Turnstile(capacity=1, limit=3)
    a, b, c = gate.take(), gate.take(), gate.take()
    with pytest.raises(QueueFull, match="3 questions are already waiting"):
        gate.take()
    assert [gate.ahead(t) for t in (a, b, c)] == [0, 1, 2]
    assert gate.wait_turn(a, timeout=0.1) and not gate.wait_turn(c, timeout=0.1)
    moves: list[int] = []
    waiter = threading.Thread(target=gate.wait_turn, args=(c, moves.append))
    waiter.start()
    time.sleep(0.1)
    gate.done(a)
    time.sleep(0.1)
    gate.done(b)
    waiter.join(5)
    assert not waiter.is_alive() and moves == [2, 1]
    assert gate.take() == 3  # a place freed up


def test_a_threads_questions_read_its_conversation_one_after_another_in_the_order_taken(tmp_path: Path) -> None:
    from bot.conversation import SessionStore, Turn
    from bot.slack.state import SlackState
    from bot.slack.threads import Question, ThreadConversations

    threads = ThreadConversations(SessionStore(tmp_path / "state.db"), SlackState(tmp_path / "state.db"))
    first, other, second = (threads.take(Question("D0A", "U0A", text, thread_ts=ts))
                            for text, ts in (("one", "1.0"), ("elsewhere", "2.0"), ("two", "1.0")))
    assert first.after is None and other.after is None and second.after is first.done
    threads.conversation(other)  # another thread does not wait
    read: list[int] = []
    waiter = threading.Thread(target=lambda: read.append(len(threads.conversation(second).turns)), daemon=True)
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()  # the second question in the thread waits for the first's turn
    threads.conversation(first).turns.append(Turn("one", "one", "It is one.", False))
    threads.release(first, save=True)
    waiter.join(5)
    assert read == [1]  # and reads it, saved
    threads.release(second)
    assert threads.take(Question("D0A", "U0A", "three", thread_ts="1.0")).after is None


def test_streaming_refused_falls_back_to_one_message(serve: Callable[..., Running], pipeline: Pipeline) -> None:
    from openai_fake import OpenAIFake, Step

    with OpenAIFake([Step(reply=GENERATED)]) as llm:
        run = serve(generative(pipeline, llm.base_url))
        run.fake.streaming_error = "method_deprecated"
        event = mention("Who is Xiaomi talking to?")
        run.send(event)
        [posted] = run.fake.wait_for("chat.postMessage")
        run.idle()
    assert len(run.fake.calls_to("chat.startStream")) == 1  # tried once, then quiet
    assert run.fake.calls_to("chat.appendStream") == [] and run.fake.calls_to("chat.stopStream") == []
    [msg] = run.fake.replies()
    assert msg["thread_ts"] == event["ts"] and "Nio" in msg["text"] and "9 billion" not in texts_of(msg)
    assert "newsbot_vote_up" in texts_of(msg) and "xiaomi-nio" in texts_of(msg)


def test_a_streamed_abstention_ends_with_the_rephrase_hint_and_buttons(
    serve: Callable[..., Running], pipeline: Pipeline
) -> None:
    from openai_fake import OpenAIFake, Step

    from bot.answer.generate import GenerativeAnswerer
    from bot.answer.llm_chat import ChatModelBackend
    from bot.schema import ABSTAIN_TEXT
    from bot.slack.blocks import REPHRASE_HINT

    with OpenAIFake([Step(reply="Xiaomi also owns Ford [7].")]) as llm:
        strict = GenerativeAnswerer(ChatModelBackend("openai:gpt-test", base_url=llm.base_url), pipeline.embedder)
        run = serve(Pipeline(pipeline.settings, embedder=pipeline.embedder, answerer=strict))
        run.send(mention("Who is Xiaomi talking to?"))
        run.fake.wait_for("chat.stopStream")
        run.idle()
    [msg] = run.fake.replies()  # the streamed message, its preliminary answer replaced by the abstention
    assert msg["text"] == f"{ABSTAIN_TEXT}\n_{REPHRASE_HINT}_" and "Ford" not in texts_of(msg)
    assert PRELIMINARY_LABEL not in texts_of(msg)
    kinds = [b["type"] for b in msg["blocks"]]
    assert kinds[-1] == "actions" and "context" not in kinds  # no sources for an abstention, the buttons
    assert "Ford" not in json.dumps([c.params for c in run.fake.calls_to("chat.appendStream")])
    assert len(run.fake.calls_to("chat.startStream")) == 1 and run.fake.calls_to("chat.postMessage") == []


def test_the_preliminary_answer_comes_first_and_the_final_one_replaces_it_in_the_same_message(
    serve: Callable[..., Running], pipeline: Pipeline
) -> None:
    """While the model is held back, the thread already shows the articles being read and the quoted
    answer, marked as preliminary; the model's checked sentences follow in the same streamed message,
    and the final answer with its sources and buttons then replaces it. One message, no other reply."""
    from openai_fake import OpenAIFake, Step

    with OpenAIFake([Step(reply=GENERATED, pause_at=0)]) as llm:
        run = serve(generative(pipeline, llm.base_url))
        assert run.bot.ready.wait(60)
        event = mention("Who is Xiaomi talking to?")
        run.send(event)
        [start] = run.fake.wait_for("chat.startStream")
        assert llm.paused.wait(30)  # the model has not written a word yet
        preliminary = streamed_text(start)
        assert run.fake.calls_to("chat.appendStream") == [] and run.fake.calls_to("chat.stopStream") == []
        llm.release.set()
        [update] = run.fake.wait_for("chat.update")
        run.idle()
    assert start.params["thread_ts"] == event["ts"]
    # the articles being read (title, outlet, date) and the quoted answer, marked as preliminary
    assert preliminary.startswith("Reading ") and "Xiaomi in talks with Nio (Reuters, 2024-03-05)" in preliminary
    assert PRELIMINARY_LABEL in preliminary and "[1]" not in preliminary and quotes_the_articles(preliminary)
    # then the model's checked sentences, in the same message
    appends = run.fake.calls_to("chat.appendStream")
    assert appends and all(c.params["ts"] == start.response["ts"] for c in appends)
    assert "Xiaomi is in talks with Nio" in "".join(streamed_text(c) for c in appends)
    [stop] = run.fake.calls_to("chat.stopStream")
    methods = [c.method for c in run.fake.calls]
    assert methods.index("chat.startStream") < methods.index("chat.appendStream") < methods.index("chat.stopStream")
    assert methods.index("chat.stopStream") < methods.index("chat.update")
    # the final answer replaces the preliminary one in that message: sources, buttons, no second reply
    assert stop.params["ts"] == update.params["ts"] == start.response["ts"]
    [msg] = run.fake.replies()
    assert msg["ts"] == start.response["ts"] and not msg["streaming"]
    assert msg["text"].startswith("Xiaomi is in talks with Nio") and PRELIMINARY_LABEL not in texts_of(msg)
    kinds = [b["type"] for b in msg["blocks"]]
    assert kinds[0] == "section" and "context" in kinds and kinds[-1] == "actions"
    assert "xiaomi-nio" in texts_of(msg) and "9 billion" not in texts_of(msg)
    assert run.fake.calls_to("chat.postMessage") == []


def test_extractive_answers_post_one_message_without_streaming(serve: Callable[..., Running]) -> None:
    run = serve()
    run.send(mention("Who did the club sign?"))
    run.fake.wait_for("chat.postMessage")
    run.idle()
    assert not [c for c in run.fake.calls if "Stream" in c.method]


# --- the queue ----------------------------------------------------------------------------------------
class SlowModel:
    """A single local model: one generation at a time, in the order asked (like LlamaCppBackend)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._run_lock = FifoLock()
        self.order: list[str] = []


class SlowAnswerer:
    """The extractive answer, after waiting for a slow single model (an Answerer that runs one at a time)."""

    name = "slow"
    capabilities = Capabilities(serial=True)
    chat = None

    def __init__(self, seconds: float) -> None:
        self.backend = SlowModel(seconds)
        self._inner = ExtractiveAnswerer()

    def warm_up(self) -> None:
        pass

    def answer(self, query: Query | str, hits: Sequence[Hit]) -> Reply:
        with self.backend._run_lock:
            self.backend.order.append(Query.of(query).text)
            time.sleep(self.backend.seconds)
            return self._inner.answer(query, hits)

    def stream(self, query: Query | str, hits: Sequence[Hit]) -> AnswerStream:
        return AnswerStream.whole(self.answer(query, hits))


def test_twenty_questions_at_once_are_answered_in_order_with_their_places(
    serve: Callable[..., Running], pipeline: Pipeline
) -> None:
    slow = Pipeline(pipeline.settings, embedder=pipeline.embedder, answerer=SlowAnswerer(0.15))
    run = serve(slow)
    assert run.bot.queue.capacity == 1
    assert run.bot.ready.wait(60)
    events = [mention(f"Who did the club sign? ({i})", user=f"U{i:03d}") for i in range(20)]
    for event in events:  # in order, as fast as Slack delivers them
        assert run.send(event)[0] == 200
    run.fake.wait_for("chat.postMessage", 20, timeout=120)
    run.idle()
    replies = run.fake.replies()
    assert [m["thread_ts"] for m in replies] == [e["ts"] for e in events]  # each once, in order
    assert slow.answerer.backend.order == [f"Who did the club sign? ({i})" for i in range(20)]  # type: ignore[attr-defined]
    places = {c.params["user"]: c.params["text"] for c in run.fake.calls_to("chat.postEphemeral")}
    assert "U000" not in places
    for i in range(2, 20):
        assert places[f"U{i:03d}"].startswith(f":hourglass_flowing_sand: {i} questions ahead of yours")
    assert places["U001"].startswith(":hourglass_flowing_sand: 1 question ahead of yours")


def test_a_burst_of_ten_sees_every_preliminary_answer_before_the_model_answers_the_first(
    serve: Callable[..., Running], pipeline: Pipeline
) -> None:
    """Ten questions at once, the model held back on the first: every asker already has the
    preliminary answer (its streamed message's start); when the model goes on, the fluent answers
    replace them one by one in the order the questions were taken, one message each."""
    from openai_fake import OpenAIFake, Step

    with OpenAIFake([Step(reply=GENERATED, pause_at=0)]) as llm:
        run = serve(generative(pipeline, llm.base_url), slack_workers=1)
        assert run.bot.queue.capacity == 1
        assert run.bot.ready.wait(60)
        events = [mention(f"Who is Xiaomi talking to? ({i})", user=f"U{i:03d}") for i in range(10)]
        for event in events:  # in order: each is taken (its ticket) before its ack
            assert run.send(event)[0] == 200
        starts = run.fake.wait_for("chat.startStream", 10, timeout=60)
        assert llm.paused.wait(30)  # the model is on the first question and has not written a word
        assert len(llm.requests) == 1 and run.fake.calls_to("chat.update") == []
        llm.release.set()
        updates = run.fake.wait_for("chat.update", 10, timeout=120)
        run.idle()
    assert sorted(c.params["thread_ts"] for c in starts) == sorted(e["ts"] for e in events)
    assert all(streamed_text(c).startswith("Reading ") for c in starts)  # the articles being read
    thread_of = {c.response["ts"]: c.params["thread_ts"] for c in starts}
    assert [thread_of[c.params["ts"]] for c in updates] == [e["ts"] for e in events]  # in admission order
    asked = [json.dumps(r.body["messages"]) for r in llm.requests]
    assert [next(i for i in range(10) if f"({i})" in a) for a in asked] == list(range(10))
    replies = run.fake.replies()  # one message per question: its preliminary answer, then the final one
    assert sorted(m["thread_ts"] for m in replies) == sorted(e["ts"] for e in events)
    assert all(not m["streaming"] and PRELIMINARY_NOTE not in texts_of(m) for m in replies)
    assert run.fake.calls_to("chat.postMessage") == []


def test_a_full_queue_says_so_instead_of_silence(serve: Callable[..., Running], pipeline: Pipeline) -> None:
    slow = Pipeline(pipeline.settings, embedder=pipeline.embedder, answerer=SlowAnswerer(0.3))
    run = serve(slow, slack_workers=1)
    limit = run.bot.queue.limit
    assert run.bot.ready.wait(60)
    # the same question from limit + 2 people (a bracket after a question is part of it, so no "(i)" here)
    events = [mention("Who did the club sign?", user=f"U{i:03d}") for i in range(limit + 2)]
    for event in events:
        run.send(event)
    run.fake.wait_for("chat.postMessage", limit + 2, timeout=120)
    run.idle()
    texts = [m["text"] for m in run.fake.replies()]
    assert sum("answering a lot of questions" in t for t in texts) == 2
    assert sum("striker" in t for t in texts) == limit


# --- serving -------------------------------------------------------------------------------------------
def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_liveness_and_readiness(serve: Callable[..., Running]) -> None:
    run = serve()
    assert _get(run.server.url + "/livez") == (200, {"ok": True})
    assert run.bot.ready.wait(60)
    status, report = _get(run.server.url + "/readyz")
    assert status == 200 and report["ready"] is True and report["index_loaded"] is True
    run.bot.begin_drain()
    status, report = _get(run.server.url + "/readyz")
    assert status == 503 and report["draining"] is True
    assert _get(run.server.url + "/livez")[0] == 200


def test_readiness_waits_for_an_index(tmp_path: Path, fake: Any, pipeline: Pipeline) -> None:  # noqa: F811
    from bot.settings import Settings
    from bot.slack.server import HttpServer

    settings = Settings(data_dir=tmp_path / "empty", slack_bot_token="xoxb-test-bot-token",
                        slack_signing_secret=SECRET, slack_api_url=fake.api_url)
    bot = build_bot(settings, Pipeline(settings, embedder=pipeline.embedder))
    bot.start()
    server = HttpServer(bot, "127.0.0.1", 0).start()
    try:
        assert bot.ready.wait(60)
        status, report = _get(server.url + "/readyz")
        assert status == 503 and report["index_loaded"] is False
        assert _get(server.url + "/livez")[0] == 200
    finally:
        server.shutdown()
        bot.close()


@pytest.mark.slow
def test_sigterm_during_an_answer_posts_it_then_exits_0(tmp_path: Path) -> None:
    """A real `newsbot slack --http` process: SIGTERM while the model is writing -> the answer is
    still posted (streamed and closed), then the process exits 0."""
    from openai_fake import OpenAIFake, Step
    from slack_fake import FakeSlack
    from slack_support import Output

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nio.md").write_text(
        "---\ntitle: Xiaomi in talks with Nio\nsource: Reuters\npublished: 2024-03-05\n---\n"
        "Xiaomi is in talks with Nio about buying a stake in Nio's car unit, people familiar with the matter said.\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSBOT_"))}
    with FakeSlack(bot_token="xoxb-test-bot-token") as slack, OpenAIFake(
        [Step(reply="Xiaomi is in talks with Nio about buying a stake in Nio's car unit [1].", pause_at=10)]
    ) as llm:
        env.update(SLACK_BOT_TOKEN="xoxb-test-bot-token", SLACK_SIGNING_SECRET=SECRET,
                   NEWSBOT_SLACK_API_URL=slack.api_url, NEWSBOT_DATA_DIR=str(tmp_path / "data"),
                   NEWSBOT_ANSWERER="llm", NEWSBOT_LLM="openai:gpt-test", NEWSBOT_LLM_BASE_URL=llm.base_url)
        ingest = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(corpus)], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stderr
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--http", "--port", "0"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output = Output(proc)
        try:
            base = output.wait_for(r"serving Slack events on (http://127\.0\.0\.1:\d+)/slack/events").group(1)
            deadline = time.monotonic() + 120
            while _get(base + "/readyz")[0] != 200:
                assert time.monotonic() < deadline, output.text()
                time.sleep(0.2)
            event = mention("Who is Xiaomi talking to?")
            assert post_event(base + "/slack/events", SECRET, event_body(event))[0] == 200
            assert llm.paused.wait(120), output.text()  # the model is writing
            proc.terminate()
            output.wait_for(r"finishing the answers in flight")
            time.sleep(0.5)
            assert proc.poll() is None  # still answering
            llm.release.set()
            assert proc.wait(timeout=60) == 0, output.text()
        finally:
            if proc.poll() is None:
                proc.kill()
        [msg] = slack.replies()
    assert msg["thread_ts"] == event["ts"] and "Nio" in msg["text"] and msg["streaming"] is False
    assert "newsbot_vote_up" in texts_of(msg)
    assert "finishing the answers in flight" in output.text()
