"""The Slack front end end to end: the real bolt app served over HTTP (and Socket Mode), the real
slack_sdk client talking to a local fake Slack Web API, signed requests over real HTTP, and a real
pipeline (real Chroma, real embedding model) over a small corpus."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_fake import (
    FakeSlack,
    block_action,
    block_problem,
    event_body,
    mention,
    message,
    post,
    post_action,
    post_event,
    post_form,
    sign,
    slash_command,
)
from slack_support import APP_TOKEN, ARTICLES, BOT_TOKEN, ROOT, SECRET, Output, Running, texts_of

from bot.answer.base import Capabilities
from bot.conversation import SessionStore
from bot.embed import MiniLMEmbedder
from bot.errors import AnswerError, ConfigError
from bot.pipeline import Pipeline
from bot.schema import ABSTAIN_TEXT, Answer, Citation
from bot.settings import Settings
from bot.slack.app import HttpServer, build_bot, create_app, make_web_client, socket_handler
from bot.slack.blocks import (
    MAX_SECTION_CHARS,
    PRELIMINARY_LABEL,
    REPHRASE_HINT,
    VOTE_DOWN,
    VOTE_UP,
    answer_message,
    escape,
    plain_question,
    preliminary_text,
    split_text,
)
from bot.slack.state import SlackState
from bot.slack.threads import session_key

# --- fixtures ---------------------------------------------------------------------------------
def button_value(msg: dict[str, Any], action_id: str) -> str:
    for block in msg["blocks"]:
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["action_id"] == action_id:
                    return str(element["value"])
    raise AssertionError(f"no {action_id} button in {msg['blocks']}")


# --- blocks (pure functions) ------------------------------------------------------------------
def _citation(n: int, **kw: Any) -> Citation:
    base: dict[str, Any] = dict(
        n=n, article_id=f"a{n}", title=f"Title {n}", source="Outlet", published="2024-01-02",
        url=f"https://news.example.com/{n}", path=None, quote="q",
    )
    base.update(kw)
    return Citation(**base)


def test_escape_makes_mentions_and_links_inert() -> None:
    text = "Hi <!channel> & <@U123> see <https://evil|click>\u202e\u200b done"
    out = escape(text)
    assert "<" not in out and ">" not in out
    assert out == "Hi &lt;!channel&gt; &amp; &lt;@U123&gt; see &lt;https://evil|click&gt; done"


def test_long_answer_is_split_at_sentences_without_losing_text() -> None:
    sentences = [f"Sentence number {i} says something about the port of Rotterdam & its cranes." for i in range(200)]
    answer = Answer("q?", " ".join(sentences) + " [1]", False, [_citation(1)])
    msg = answer_message(answer, "id1")
    sections = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]
    assert len(sections) >= 5
    assert all(len(s) <= MAX_SECTION_CHARS for s in sections)
    assert all(s.endswith((".", "[1]")) for s in sections)  # cut at sentence ends
    assert " ".join(sections) == escape(answer.text)  # nothing dropped
    assert block_problem(msg.blocks) is None
    assert len(msg.text) <= 3000 and msg.text.endswith("\u2026")


def test_split_falls_back_to_words_then_characters() -> None:
    words = ("word " * 2000).strip()
    parts = split_text(words, 100)
    assert all(len(p) <= 100 for p in parts) and " ".join(parts) == words
    blob = "&amp;" * 50
    parts = split_text(blob, 12)
    assert "".join(parts) == blob and all(p.endswith(";") for p in parts)  # no entity cut in half


def test_answer_too_long_for_one_message_says_so() -> None:
    text = " ".join(["A very long sentence that keeps going and going about the harbour."] * 3000)
    msg = answer_message(Answer("q", text, False, [_citation(1)]), "id")
    assert len(msg.blocks) == 50 and block_problem(msg.blocks) is None
    assert "more characters" in msg.blocks[-3]["text"]["text"]


def test_sources_are_numbered_links_with_outlet_and_date() -> None:
    cites = [
        _citation(1, title="A <b> & c|d", url="https://x.example/a?b=1&c=<2>"),
        _citation(2, url=None, source=None, published=None),
        _citation(3, url="javascript:alert(1)"),
    ]
    msg = answer_message(Answer("q", "x [1] y [2] z [3]", False, cites), "id")
    context = [b for b in msg.blocks if b["type"] == "context"]
    lines = [e["text"] for b in context for e in b["elements"]]
    assert lines[0] == (
        "*Sources*  *[1]* <https://x.example/a?b=1&amp;c=%3C2%3E|A &lt;b&gt; &amp; c\u2223d> \u00b7 Outlet \u00b7 2024-01-02"
    )
    assert lines[1] == "*[2]* Title 2"
    assert lines[2].startswith("*[3]* Title 3") and "javascript" not in lines[2]


def test_many_sources_use_several_context_blocks() -> None:
    msg = answer_message(Answer("q", "x", False, [_citation(i) for i in range(1, 24)]), "id")
    assert block_problem(msg.blocks) is None
    assert sum(len(b["elements"]) for b in msg.blocks if b["type"] == "context") == 23


def test_abstention_suggests_rephrasing_and_has_buttons() -> None:
    msg = answer_message(Answer("q", ABSTAIN_TEXT, True, []), "id9")
    assert REPHRASE_HINT in msg.blocks[0]["text"]["text"] and ABSTAIN_TEXT in msg.text
    assert button_value({"blocks": msg.blocks}, VOTE_UP) == "id9"
    assert button_value({"blocks": msg.blocks}, VOTE_DOWN) == "id9"


def test_preliminary_answer_names_its_articles_and_marks_its_quote_as_preliminary() -> None:
    cited = Answer("q", "Xiaomi is in talks with <!here> Nio [1].", False,
                   [_citation(1, title="Xiaomi & Nio <talks>", source="Reuters", published="2024-03-05")],
                   preliminary=True)
    text = preliminary_text(cited)
    assert text.startswith("Reading 0 articles; quoting Xiaomi &amp; Nio &lt;talks&gt; (Reuters, 2024-03-05)\n")
    assert f"_{PRELIMINARY_LABEL}_ Xiaomi is in talks with &lt;!here&gt; Nio.\n" in text  # inert, no [n] markers
    assert text.endswith("\n\n") and "<" not in text
    nothing = preliminary_text(Answer("q", ABSTAIN_TEXT, True, [], preliminary=True))
    assert PRELIMINARY_LABEL not in nothing and ABSTAIN_TEXT not in nothing  # no quote, only what is read


def test_plain_question_undoes_slack_formatting() -> None:
    assert plain_question("<@UBOT> who is <@U2|bob> in <#C1|news>? see <https://a.b|A&amp;B> &lt;3", "UBOT") == (
        "who is @bob in #news? see A&B <3"
    )


# --- configuration ---------------------------------------------------------------------------------
def test_missing_tokens_name_the_variable(pipeline: Pipeline, tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path)
    with pytest.raises(ConfigError, match="^SLACK_BOT_TOKEN is not set"):
        create_app(base, pipeline)
    with pytest.raises(ConfigError, match="^SLACK_SIGNING_SECRET is not set"):
        create_app(base.with_(slack_bot_token=BOT_TOKEN), pipeline)
    with pytest.raises(ConfigError, match="^SLACK_APP_TOKEN is not set"):
        build_bot(base.with_(slack_bot_token=BOT_TOKEN), pipeline, socket_mode=True)


def test_cli_missing_token_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSBOT_"))}
    env["NEWSBOT_DATA_DIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "slack", "--http", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("newsbot: SLACK_BOT_TOKEN is not set")
    assert "Traceback" not in proc.stderr


# --- HTTP: mentions, retries, signatures --------------------------------------------------------
def test_mention_gets_one_threaded_reply_with_citations(serve: Callable[..., Running]) -> None:
    run = serve()
    event = mention("Who is Xiaomi talking to?")
    status, _, elapsed = run.send(event)
    assert status == 200 and elapsed < 3
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    msg = reply.params
    assert msg["channel"] == event["channel"] and msg["thread_ts"] == event["ts"]
    assert "Nio" in msg["text"] and "[1]" in msg["text"]
    shown = texts_of(msg)
    assert "<https://news.example.com/xiaomi-nio|Xiaomi in talks with Nio>" in shown
    assert "Reuters" in shown and "2024-03-05" in shown
    assert block_problem(msg["blocks"]) is None
    # 👀 added on the question while answering, removed after the reply
    methods = [c.method for c in run.fake.calls]
    assert methods.index("reactions.add") < methods.index("chat.postMessage") < methods.index("reactions.remove")
    for call in run.fake.calls_to("reactions.add") + run.fake.calls_to("reactions.remove"):
        assert call.params == {"channel": event["channel"], "timestamp": event["ts"], "name": "eyes"}
    assert len(run.fake.replies()) == 1


def test_retried_event_is_not_answered_twice(serve: Callable[..., Running]) -> None:
    run = serve()
    body = event_body(mention("Who did the club sign?"))
    assert run.send_body(body)[0] == 200
    retry_headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert run.send_body(body, headers=retry_headers)[0] == 200
    run.fake.wait_for("chat.postMessage")
    assert run.send_body(body, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
    run.idle()
    assert len(run.fake.replies()) == 1
    # a second server process sharing the data dir does not answer it either
    other = build_bot(run.bot.settings, run.bot.pipeline)
    other_server = HttpServer(other, "127.0.0.1", 0).start()
    try:
        assert post_event(other_server.url + "/slack/events", SECRET, body)[0] == 200
        assert other.wait_idle(30)
    finally:
        other_server.shutdown()
        other.close()
    assert len(run.fake.replies()) == 1


def test_same_mention_as_app_mention_and_message_is_answered_once(serve: Callable[..., Running]) -> None:
    run = serve()
    event = mention("Who did the club sign?")
    as_message = message(event["text"], channel=event["channel"], channel_type="channel", ts=event["ts"])
    assert run.send(event)[0] == 200
    assert run.send(as_message)[0] == 200
    run.fake.wait_for("chat.postMessage")
    run.idle()
    assert len(run.fake.replies()) == 1


@pytest.mark.parametrize("problem", ["bad signature", "stale timestamp", "tampered body", "no signature"])
def test_bad_requests_get_401_and_no_work(serve: Callable[..., Running], problem: str) -> None:
    run = serve()
    raw = json.dumps(event_body(mention("Who is Xiaomi talking to?"))).encode()
    if problem == "bad signature":
        headers = sign("not-the-secret", raw)
    elif problem == "stale timestamp":
        headers = sign(SECRET, raw, int(time.time()) - 6 * 60)
    elif problem == "tampered body":
        headers = sign(SECRET, raw)
        raw = raw.replace(b"Xiaomi", b"Xiaomo")
    else:
        headers = {}
    status, _, _ = post(run.url, raw, headers)
    assert status == 401
    run.idle()
    assert run.fake.calls == []  # not even auth.test


def test_url_verification_challenge_is_answered(serve: Callable[..., Running]) -> None:
    run = serve()
    status, body, _ = run.send_body({"token": "unused", "challenge": "c-123", "type": "url_verification"})
    assert status == 200 and json.loads(body) == {"challenge": "c-123"}


def test_dm_is_answered_in_its_thread(serve: Callable[..., Running]) -> None:
    run = serve()
    event = message("When will the Elm Street bridge close?")
    assert run.send(event)[0] == 200
    [reply] = run.fake.wait_for("chat.postMessage")
    assert reply.params["channel"] == event["channel"] and reply.params["thread_ts"] == event["ts"]
    assert "Monday" in reply.params["text"]


def test_own_and_other_bots_edits_and_joins_are_ignored(serve: Callable[..., Running]) -> None:
    run = serve()
    for event in (
        message("Who did the club sign?", user="UBOT"),  # own message, by user id
        message("Who did the club sign?", user="UOTHER", bot_id="B0OTHER"),  # another bot
        message("Who did the club sign?", bot_id="BBOT", subtype="bot_message"),  # own bot_message
        message("Who did the club sign?", subtype="message_changed"),
        message("Who did the club sign?", subtype="message_deleted"),
        message("<@U0ALICE> has joined the channel", channel="C0NEWS", channel_type="channel", subtype="channel_join"),
        message("Who did the club sign?", channel="C0NEWS", channel_type="channel"),  # no mention
        {**mention("Who did the club sign?"), "bot_id": "B0OTHER"},  # a bot mentioning us
    ):
        assert run.send(event)[0] == 200
    run.idle()
    assert [c.method for c in run.fake.calls] == ["auth.test"]


# --- /ask, follow-ups, feedback ----------------------------------------------------------------
def test_ask_command_acks_fast_and_answers_in_channel_then_thread_follow_up(serve: Callable[..., Running]) -> None:
    run = serve()
    raw = slash_command("Who is Xiaomi talking to?", response_url=run.fake.response_url("cmd1"))
    status, body, elapsed = post_form(run.url, SECRET, raw)
    assert status == 200 and elapsed < 3
    assert "Looking that up" in json.loads(body)["text"]
    [reply] = run.fake.wait_for("chat.postMessage")
    msg = reply.params
    assert msg["channel"] == "C0NEWS" and not msg.get("thread_ts")
    assert "<@U0ALICE> asked: *Who is Xiaomi talking to?*" in texts_of(msg)
    assert "Nio" in msg["text"]
    run.idle()
    answer_ts = run.fake.replies()[0]["ts"]
    # a reply in the answer's thread, without a mention, is a follow-up read through the conversation
    follow = message("When did the talks start?", channel="C0NEWS", channel_type="channel", thread_ts=answer_ts)
    assert run.send(follow)[0] == 200
    second = run.fake.wait_for("chat.postMessage", 2)[1].params
    assert second["thread_ts"] == answer_ts
    assert "March 2024" in second["text"] and "xiaomi-nio" in texts_of(second)
    run.idle()
    turns = SessionStore(run.bot.settings.state_path).load(session_key("C0NEWS", answer_ts)).turns
    assert [t.question for t in turns] == ["Who is Xiaomi talking to?", "When did the talks start?"]
    assert "Xiaomi" in turns[1].standalone


def test_thread_follow_up_uses_the_conversation(serve: Callable[..., Running]) -> None:
    run = serve()
    first = mention("Who is Xiaomi talking to?")
    run.send(first)
    run.fake.wait_for("chat.postMessage")
    run.idle()
    follow = mention("and when does it want to mass-produce?", thread_ts=first["ts"])
    run.send(follow)
    reply = run.fake.wait_for("chat.postMessage", 2)[1].params
    assert reply["thread_ts"] == first["ts"] and "2025" in reply["text"]
    # the same words in a new thread carry no context
    fresh = mention("and when does it want to mass-produce?")
    run.send(fresh)
    run.fake.wait_for("chat.postMessage", 3)
    run.idle()
    store = SessionStore(run.bot.settings.state_path)
    threaded = store.load(session_key("C0NEWS", first["ts"])).turns
    alone = store.load(session_key("C0NEWS", fresh["ts"])).turns
    assert len(threaded) == 2 and "Xiaomi" in threaded[1].standalone
    assert len(alone) == 1 and alone[0].standalone == "and when does it want to mass-produce?"


def test_ask_falls_back_to_response_url_outside_the_channel(serve: Callable[..., Running]) -> None:
    run = serve()
    run.fake.fail_channel("C0PRIV", "not_in_channel")
    raw = slash_command("Who did the club sign?", channel="C0PRIV", response_url=run.fake.response_url("priv"))
    assert post_form(run.url, SECRET, raw)[0] == 200
    run.fake.wait_for("response_url")
    run.idle()
    [hook] = run.fake.webhooks
    assert hook.params["response_type"] == "in_channel" and "striker" in hook.params["text"]


def test_button_click_is_recorded_and_exported(serve: Callable[..., Running], tmp_path: Path) -> None:
    run = serve()
    event = mention("Who did the club sign?")
    run.send(event)
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    answer_id = button_value(reply.params, VOTE_UP)
    url = run.fake.response_url("vote")
    status, _, elapsed = post_action(run.url, SECRET, block_action(VOTE_UP, answer_id, response_url=url, user="U0BOB"))
    assert status == 200 and elapsed < 3
    post_action(run.url, SECRET, block_action(VOTE_DOWN, answer_id, response_url=url, user="U0CAROL"))
    post_action(run.url, SECRET, block_action(VOTE_UP, answer_id, response_url=url, user="U0CAROL"))  # changes mind
    run.fake.wait_for("chat.postEphemeral", 3)
    run.idle()
    out = tmp_path / "feedback.jsonl"
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(run.bot.settings.data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "feedback", "export", "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "exported 2 feedback records" in proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["user"], r["vote"]) for r in records) == [("U0BOB", "up"), ("U0CAROL", "up")]
    for r in records:
        assert r["question"] == "Who did the club sign?" and r["channel"] == "C0NEWS"
        assert "striker" in r["answer"] and r["citations"][0]["title"] == "Club signs striker"
        assert r["answer_id"] == answer_id and r["time"].endswith("Z")


def test_article_mrkdwn_is_escaped_in_the_reply(serve: Callable[..., Running]) -> None:
    run = serve()
    run.send(mention("When will the Elm Street bridge close?"))
    [reply] = run.fake.wait_for("chat.postMessage")
    shown = texts_of(reply.params)
    assert "Monday" in shown
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "<!here>" not in shown and "&lt;!here&gt;" in shown  # the title
    assert "<@U0EVIL>" not in shown and "<https://evil" not in shown
    assert "Local &amp; Co" in shown


def test_channel_not_enabled_replies_once(serve: Callable[..., Running]) -> None:
    run = serve(slack_channels=("C0NEWS",))
    run.send(mention("Who did the club sign?", channel="C0RANDOM"))
    run.send(mention("Who is Xiaomi talking to?", channel="C0RANDOM"))
    run.idle()
    notices = run.fake.replies("C0RANDOM")
    assert len(notices) == 1 and "not enabled in this channel" in notices[0]["text"] and "<#C0NEWS>" in notices[0]["text"]
    run.send(mention("Who did the club sign?", channel="C0NEWS"))
    run.send(message("Who did the club sign?"))  # DMs stay open
    run.fake.wait_for("chat.postMessage", 3)
    run.idle()
    assert len(run.fake.replies("C0RANDOM")) == 1
    raw = slash_command("Who did the club sign?", channel="C0RANDOM", response_url=run.fake.response_url())
    status, body, _ = post_form(run.url, SECRET, raw)
    assert status == 200 and "not enabled" in json.loads(body)["text"]


def test_rate_limited_user_gets_a_friendly_message(serve: Callable[..., Running]) -> None:
    run = serve(slack_user_rate=2)
    for _ in range(4):
        run.send(mention("Who did the club sign?", user="U0EAGER"))
    run.send(mention("Who did the club sign?", user="U0CALM"))
    run.fake.wait_for("chat.postMessage", 3)
    run.idle()
    assert len(run.fake.replies()) == 3
    [warning] = run.fake.calls_to("chat.postEphemeral")
    assert warning.params["user"] == "U0EAGER" and "questions in the last minute" in warning.params["text"]
    raw = slash_command("Who did the club sign?", user="U0EAGER", response_url=run.fake.response_url())
    assert "Please wait" in json.loads(post_form(run.url, SECRET, raw)[1])["text"]


def test_429_is_retried_after_retry_after(serve: Callable[..., Running]) -> None:
    run = serve()
    run.fake.rate_limit_once("chat.postMessage", retry_after=1)
    run.send(mention("Who did the club sign?"))
    run.fake.wait_for("chat.postMessage")
    run.idle()
    attempts = run.fake.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert len(run.fake.replies()) == 1


class FailingAnswerer:
    """An answerer whose model is broken."""

    name = "failing"
    capabilities = Capabilities()
    chat = None

    def warm_up(self) -> None:
        pass

    def answer(self, query: Any, hits: Any) -> Any:
        raise AnswerError("the local model crashed")

    def stream(self, query: Any, hits: Any) -> Any:
        raise AnswerError("the local model crashed")


def test_errors_are_logged_and_the_user_gets_one_line(
    serve: Callable[..., Running], pipeline: Pipeline, minilm: MiniLMEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Pipeline(pipeline.settings, embedder=minilm, answerer=FailingAnswerer())
    run = serve(pipe=broken)
    event = mention("Who did the club sign?")
    with caplog.at_level(logging.INFO, logger="bot.slack.app"):
        run.send(event)
        [reply] = run.fake.wait_for("chat.postMessage")
        run.idle()
    assert reply.params["thread_ts"] == event["ts"]
    assert reply.params["text"].startswith(":warning: Sorry, something went wrong")
    assert "\n" not in reply.params["text"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None and "the local model crashed" in caplog.text
    assert len(run.fake.calls_to("reactions.remove")) == 1


def test_too_long_question_is_explained(serve: Callable[..., Running]) -> None:
    run = serve()
    run.send(mention("why " * 400))
    [reply] = run.fake.wait_for("chat.postMessage")
    assert "the limit is 1000" in reply.params["text"]


def test_healthz_reports_the_index(serve: Callable[..., Running]) -> None:
    run = serve()
    assert run.bot.ready.wait(60)
    with urllib.request.urlopen(run.server.url + "/healthz", timeout=10) as resp:
        report = json.loads(resp.read())
        assert resp.status == 200
    assert report["index_loaded"] is True and report["index"]["articles"] == len(ARTICLES)
    big = b"{" + b" " * (2 << 20) + b"}"
    assert post(run.url, big, sign(SECRET, big))[0] == 413


def test_burst_of_30_events_is_acked_fast_and_answered_once_each(serve: Callable[..., Running]) -> None:
    run = serve()
    assert run.bot.ready.wait(60)
    questions = ["Who did the club sign?", "Who is Xiaomi talking to?", "When will the Elm Street bridge close?"]
    bodies = [event_body(mention(questions[i % 3], user=f"U{i:03d}")) for i in range(30)]
    acks: list[tuple[int, float]] = []
    barrier = threading.Barrier(30)

    def send(body: dict[str, Any]) -> None:
        barrier.wait()
        status, _, elapsed = run.send_body(body)
        acks.append((status, elapsed))
        run.send_body(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acks) == 30 and all(s == 200 for s, _ in acks)
    assert max(e for _, e in acks) < 3.0
    run.fake.wait_for("chat.postMessage", 30, timeout=120)
    run.idle()
    threads_answered = sorted(m["thread_ts"] for m in run.fake.replies())
    assert threads_answered == sorted(b["event"]["ts"] for b in bodies)


# --- Socket Mode -----------------------------------------------------------------------------
def test_socket_mode_end_to_end(tmp_path: Path, fake: FakeSlack, pipeline: Pipeline) -> None:
    settings = Settings(data_dir=tmp_path, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, slack_api_url=fake.api_url)
    bot = build_bot(settings, pipeline, socket_mode=True)
    bot.start()
    handler = socket_handler(bot)
    handler.connect()
    try:
        fake.wait_connected()
        body = event_body(mention("Who did the club sign?"))
        first = fake.send_envelope("events_api", body, retry_attempt=0)  # bolt >= 1.29 sets retry-num "0"
        fake.wait_ack(first)
        [reply] = fake.wait_for("chat.postMessage")
        assert reply.params["thread_ts"] == body["event"]["ts"] and "striker" in reply.params["text"]
        retry = fake.send_envelope("events_api", body, retry_attempt=1)
        fake.wait_ack(retry)
        raw = slash_command("Who is Xiaomi talking to?", response_url=fake.response_url())
        command = dict(urllib.parse.parse_qsl(raw.decode()))
        cmd = fake.send_envelope("slash_commands", command)
        ack = fake.wait_ack(cmd)
        assert "Looking that up" in ack["payload"]["text"]
        fake.wait_for("chat.postMessage", 2)
        assert bot.wait_idle(60)
        assert len(fake.replies()) == 2
        assert [c.token for c in fake.calls_to("apps.connections.open")] == [APP_TOKEN]
    finally:
        handler.close()
        bot.close()


# --- secrets ---------------------------------------------------------------------------------
CANARY_BOT = "xoxb-CANARY-7f3a9c1e5b"
CANARY_APP = "xapp-CANARY-2d8e4f6a0c"
CANARY_SECRET = "CANARY-signing-5e1b7d3f"


def test_canary_tokens_never_leak(tmp_path: Path, pipeline: Pipeline, minilm: MiniLMEmbedder,
                                  caplog: pytest.LogCaptureFixture) -> None:
    canaries = (CANARY_BOT, CANARY_APP, CANARY_SECRET)
    with FakeSlack(bot_token=CANARY_BOT, app_token=CANARY_APP) as fake, caplog.at_level(logging.DEBUG):
        settings = Settings(
            data_dir=tmp_path, slack_bot_token=CANARY_BOT, slack_signing_secret=CANARY_SECRET,
            slack_app_token=CANARY_APP, slack_api_url=fake.api_url,
        )
        errors = [repr(settings), str(settings)]
        # HTTP: an answer, a vote, a bad signature, a failing answer
        bot = build_bot(settings, pipeline)
        bot.start()
        server = HttpServer(bot, "127.0.0.1", 0).start()
        broken = build_bot(settings.with_(data_dir=tmp_path / "b"),
                           Pipeline(pipeline.settings, embedder=minilm, answerer=FailingAnswerer()))
        broken_server = HttpServer(broken, "127.0.0.1", 0).start()
        try:
            url = server.url + "/slack/events"
            post_event(url, CANARY_SECRET, event_body(mention("Who did the club sign?")))
            [reply] = fake.wait_for("chat.postMessage")
            answer_id = button_value(reply.params, VOTE_UP)
            post_action(url, CANARY_SECRET, block_action(VOTE_DOWN, answer_id, response_url=fake.response_url()))
            post(url, b"{}", sign("wrong", b"{}"))
            post_event(broken_server.url + "/slack/events", CANARY_SECRET, event_body(mention("Who is Xiaomi talking to?")))
            fake.wait_for("chat.postMessage", 2)
            assert bot.wait_idle(60) and broken.wait_idle(60)
            # Socket Mode, whose connection open carries the app token
            handler = socket_handler(bot)
            handler.connect()
            try:
                fake.wait_connected()
                envelope = fake.send_envelope("events_api", event_body(mention("When will the Elm Street bridge close?")))
                fake.wait_ack(envelope)
                fake.wait_for("chat.postMessage", 3)
                assert bot.wait_idle(60)
            finally:
                handler.close()
            for bad in (settings.with_(slack_app_token=None), settings.with_(slack_signing_secret=None)):
                try:
                    build_bot(bad, pipeline, socket_mode=bad.slack_app_token is None)
                except ConfigError as exc:
                    errors.append(str(exc))
        finally:
            server.shutdown()
            broken_server.shutdown()
            bot.close()
            broken.close()
        posted = json.dumps([c.params for c in fake.calls])
    assert len(errors) == 4
    assert any("apps.connections.open" in r.getMessage() for r in caplog.records)  # debug logs were on
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("state.db*"))
    assert [r["vote"] for r in SlackState(settings.state_path).feedback()] == ["down"]
    for canary in canaries:
        assert canary not in caplog.text
        assert all(canary not in e for e in errors)
        assert canary not in posted
        assert canary.encode() not in stored


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["--http", "--socket"])
def test_cli_slack_with_debug_logs_serves_and_keeps_tokens_out(tmp_path: Path, fake_canary: FakeSlack, mode: str) -> None:
    fake = fake_canary
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=CANARY_BOT, SLACK_APP_TOKEN=CANARY_APP, SLACK_SIGNING_SECRET=CANARY_SECRET,
        NEWSBOT_SLACK_API_URL=fake.api_url, NEWSBOT_DATA_DIR=str(tmp_path / "empty"),
    )
    args = [mode, "--port", "0"] if mode == "--http" else [mode]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "-v", "slack", *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = Output(proc)
    try:
        body = event_body(mention("Who did the club sign?"))
        if mode == "--http":
            base = output.wait_for(r"serving Slack events on (http://127\.0\.0\.1:\d+)/slack/events").group(1)
            assert post_event(base + "/slack/events", CANARY_SECRET, body)[0] == 200
            output.wait_for(r"pipeline ready")
            with urllib.request.urlopen(base + "/healthz", timeout=10) as resp:
                health = json.loads(resp.read())
            assert health["ok"] is True and health["index_loaded"] is False  # up, but nothing ingested
        else:
            fake.wait_connected(timeout=120)
            fake.wait_ack(fake.send_envelope("events_api", body), timeout=30)
        [reply] = fake.wait_for("chat.postMessage", timeout=120)
        assert "newsbot ingest" in reply.params["text"]  # the index is empty: a one-line warning
    finally:
        proc.terminate()  # SIGTERM: a clean stop
        proc.wait(timeout=60)
    text = output.text()
    assert proc.returncode == 0, text
    assert "Sending a request" in text  # slack_sdk's debug logging was on
    for canary in (CANARY_BOT, CANARY_APP, CANARY_SECRET):
        assert canary not in text


@pytest.fixture
def fake_canary() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=CANARY_BOT, app_token=CANARY_APP) as f:
        yield f


def test_web_client_keeps_the_trailing_slash(tmp_path: Path) -> None:
    client = make_web_client(Settings(data_dir=tmp_path, slack_bot_token=BOT_TOKEN, slack_api_url="http://127.0.0.1:9/api"))
    assert client.base_url == "http://127.0.0.1:9/api/"


def test_a_generative_answer_streams_only_checked_sentences(serve: Callable[..., Running], pipeline: Pipeline) -> None:
    """The model's reply streams into the thread one checked sentence at a time: no invented claim
    is ever sent, and the sources and buttons close the stream."""
    from openai_fake import OpenAIFake, Step

    from bot.answer.extractive import ExtractiveAnswerer
    from bot.answer.generate import GenerativeAnswerer
    from bot.answer.llm_chat import ChatModelBackend

    reply = ("Xiaomi is in talks with Nio about buying a stake in Nio's car unit [1]. "
             "The deal is worth 9 billion dollars and was approved by regulators [1]. "
             "Xiaomi also owns Ford [7].")
    with OpenAIFake([Step(reply=reply)]) as llm:
        backend = ChatModelBackend("openai:gpt-test", base_url=llm.base_url)
        answerer = GenerativeAnswerer(backend, pipeline.embedder, fallback=ExtractiveAnswerer())
        generative = Pipeline(pipeline.settings, embedder=pipeline.embedder, answerer=answerer)
        run = serve(generative)
        event = mention("Who is Xiaomi talking to?")
        run.send(event)
        [stop] = run.fake.wait_for("chat.stopStream")
        run.idle()
        assert llm.requests and llm.requests[0].body.get("stream") is True
    # the stream opens with the preliminary answer quoted from the articles; the model's text follows,
    # and none of it that failed the claim check is ever sent
    [start] = run.fake.calls_to("chat.startStream")
    assert PRELIMINARY_LABEL in json.dumps(start.params)
    model = json.dumps([c.params for c in run.fake.calls_to("chat.appendStream") + [stop]])
    assert "Nio" in model and "9 billion" not in model and "Ford" not in model and "[7]" not in model
    [msg] = run.fake.replies()
    assert msg["thread_ts"] == event["ts"] and not msg["streaming"]
    assert msg["text"].startswith("Xiaomi is in talks with Nio about buying a stake in Nio's car unit. [1]")
    assert "<https://news.example.com/xiaomi-nio|Xiaomi in talks with Nio>" in texts_of(msg)
    assert button_value(msg, VOTE_UP) and PRELIMINARY_LABEL not in texts_of(msg)  # replaced by the final answer
    assert run.fake.calls_to("chat.postMessage") == []
