"""Field reports, second round (issue 29), the Slack kinds: a question with a file attached, mentions
and greetings around a question, a message Slack refuses, and suggested prompts and source labels
for a corpus of untitled articles. The real bolt app served over HTTP, the real slack_sdk client, the
local fake Slack (tests/slack_fake.py), real pipelines with the extractive answerer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_fake import block_problem, mention, message, new_ts, post_form, slash_command
from slack_support import SECRET, Running, texts_of

from bot.embed import MiniLMEmbedder
from bot.pipeline import Pipeline
from bot.schema import Article
from bot.settings import Settings
from bot.slack.blocks import article_prompt, plain_question

LONG_URL = "https://news.example.com/harbour/cranes?utm_source=" + "x" * 3475  # 3,526 characters, as reported
assert len(LONG_URL) == 3526
FIELD_ARTICLES = [
    Article(
        text="Maria Keller, the chairwoman of A&B Holdings, said the company would open two new plants in "
        "Poland next year. The plants will employ 800 people.",
        title="A&B Holdings to build plants in Poland", source="Business Wire", published="2024-05-02",
        url="https://news.example.com/ab-holdings",
    ),
    Article(
        text="The port of Rotterdam replaced twelve of its oldest cranes this spring. The new electric cranes "
        "cut diesel use by a third, the port authority said.",
        title="Rotterdam replaces its cranes", source="Port News", published="2024-04-10", url=LONG_URL,
    ),
]
FIRST_WORDS = "Chinese smartphone maker Xiaomi Corp is in discussions\u2026"  # corpus/xiaomi-baic-ev-talks.md


@pytest.fixture(scope="session")
def field_pipeline(tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMEmbedder) -> Pipeline:
    """FIELD_ARTICLES in a real index (real model, real Chroma), shared read-only."""
    pipe = Pipeline(Settings(data_dir=tmp_path_factory.mktemp("field-slack"), answerer="extractive"), embedder=minilm)
    pipe.ingest_articles(FIELD_ARTICLES)
    pipe.warm_up()
    return pipe


def refused(run: Running) -> list[str]:
    """The errors of every call the fake refused."""
    return [str(c.response.get("error")) for c in run.fake.calls if not c.response.get("ok")]


# --- 9. a question with a file attached ------------------------------------------------------------
PDF = {"id": "F0PDF", "name": "q3-board-minutes.pdf", "title": "q3-board-minutes.pdf", "mimetype": "application/pdf",
       "filetype": "pdf", "size": 48213, "url_private": "https://files.slack.com/files-pri/T0NEWS-F0PDF/q3.pdf"}


def test_a_question_with_a_file_attached_is_answered(serve: Callable[[Pipeline], Running],
                                                     field_pipeline: Pipeline) -> None:
    """In a DM, in a mention (Slack sends it as app_mention and as a channel message, both
    `subtype: file_share`) and in an assistant thread: the text is answered, the file not mentioned."""
    run = serve(field_pipeline)
    question = "Who is the chairwoman of A&B Holdings?"
    dm = message(question, subtype="file_share", files=[PDF], upload=False)
    ts = new_ts()
    in_channel = {**mention(question, ts=ts), "subtype": "file_share", "files": [PDF]}
    as_message = message(in_channel["text"], channel="C0NEWS", channel_type="channel", ts=ts, subtype="file_share",
                         files=[PDF])
    panel = message(question, thread_ts="1700000400.000100", subtype="file_share", files=[PDF])
    for event in (dm, in_channel, as_message, panel):
        assert run.send(event)[0] == 200
    replies = run.fake.wait_for("chat.postMessage", 3)
    run.idle()
    assert sorted(r.params["thread_ts"] for r in replies) == sorted([dm["ts"], ts, "1700000400.000100"])
    for reply in replies:
        assert "Maria Keller" in reply.params["text"]
        assert "attached" not in texts_of(reply.params) and "file" not in reply.params["text"]
    assert len(run.fake.replies()) == 3


def test_a_question_about_the_attached_file_is_told_files_are_not_read(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline
) -> None:
    run = serve(field_pipeline)
    event = message("What does the attached PDF say about the chairwoman of A&B Holdings?", subtype="file_share",
                    files=[PDF])
    run.send(event)
    run.fake.wait_for("chat.postMessage", 2)
    run.idle()
    note, answer = run.fake.replies()
    assert note["thread_ts"] == answer["thread_ts"] == event["ts"]
    assert "can't open attached files" in note["text"] and "Maria Keller" in answer["text"]


# --- 10. mentions and greetings around a question ---------------------------------------------------
def test_mentions_and_greetings_around_a_question_are_not_part_of_it(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline
) -> None:
    run = serve(field_pipeline)
    text = "Hey <@UBOT>, my colleague <@U0BOB> asks: who is the chairwoman of A&B Holdings?"
    event = {**mention(""), "text": text}
    run.send(event)
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    assert "Maria Keller" in reply.params["text"]
    [turn] = run.bot.sessions.load(f"slack:C0NEWS:{event['ts']}").turns
    assert turn.question == "who is the chairwoman of A&B Holdings?"


@pytest.mark.parametrize(("text", "question"), [
    ("Hey <@UBOT>, my colleague <@U0BOB> asks: who is the chairwoman of A&B Holdings?",
     "who is the chairwoman of A&B Holdings?"),
    ("<@UBOT> hi! Who is the chairwoman of A&B Holdings?", "Who is the chairwoman of A&B Holdings?"),
    ("Good morning <@UBOT> \u2014 who leads A&B Holdings?", "who leads A&B Holdings?"),
    ("<@UBOT> <@U0BOB> wants to know who leads A&B Holdings", "who leads A&B Holdings"),
    ("<@U0BOB> and I were wondering, <@UBOT>: who leads A&B Holdings?", "who leads A&B Holdings?"),
    ("Quick question from <@U0BOB>: who leads A&B Holdings? cc <@U0CAROL> thanks!", "who leads A&B Holdings?"),
    ("Hi <!subteam^S0NEWS|@news-team>, <@UBOT|newsbot> who leads A&B Holdings?", "who leads A&B Holdings?"),
    ("I was wondering who leads A&B Holdings", "who leads A&B Holdings"),
    ("<@UBOT> hey, quick q \u2014 who leads A&B Holdings?", "who leads A&B Holdings?"),
    # what the question itself says stays: a mention inside it, a colon that is part of it, a name
    ("<@UBOT> who is <@U2|bob> in <#C1|news>?", "who is @bob in #news?"),
    ("<@UBOT> what did <@U0BOB> write about A&B?", "what did @U0BOB write about A&B?"),
    ("<@UBOT> Regarding A&B Holdings: who is the chairwoman?", "Regarding A&B Holdings: who is the chairwoman?"),
    ("<@UBOT> Hello Kitty maker Sanrio: who runs it?", "Hello Kitty maker Sanrio: who runs it?"),
    ("<@UBOT> Who asked whether the bank would cut rates?", "Who asked whether the bank would cut rates?"),
    ("<@UBOT> Xiaomi \u2014 who is it talking to?", "Xiaomi \u2014 who is it talking to?"),
    ("Hey <@UBOT>!", ""),  # nothing asked: the bot says how to ask
])
def test_the_question_is_read_without_the_mentions_and_greetings_around_it(text: str, question: str) -> None:
    assert plain_question(text, "UBOT") == question


# --- 11. a message Slack refuses ------------------------------------------------------------------
def test_a_long_article_url_never_makes_a_block_slack_refuses(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline
) -> None:
    run = serve(field_pipeline)
    run.send(mention("How many cranes did Rotterdam replace?"))
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    assert refused(run) == [] and len(run.fake.calls_to("chat.postMessage")) == 1  # taken the first time
    shown = texts_of(reply.params)
    assert "twelve" in reply.params["text"] and "Rotterdam replaces its cranes" in shown
    assert "<https://news.example.com/harbour/cranes|Rotterdam replaces its cranes>" in shown  # the query dropped
    lines = [e["text"] for b in reply.params["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert lines and max(map(len, lines)) <= 3000 and block_problem(reply.params["blocks"]) is None


@pytest.mark.parametrize("error", ["invalid_blocks", "msg_blocks_too_long"])
def test_a_refused_answer_is_posted_as_text_instead(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline, error: str
) -> None:
    run = serve(field_pipeline)
    run.fake.refuse("chat.postMessage", error, with_blocks=True)  # whatever Slack finds wrong with the blocks
    event = mention("Who is the chairwoman of A&B Holdings?")
    run.send(event)
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    assert refused(run) == [error]
    assert reply.params["thread_ts"] == event["ts"] and not reply.params.get("blocks")
    text = reply.params["text"]
    assert "Maria Keller" in text and "Sources" in text and "https://news.example.com/ab-holdings" in text
    assert "Business Wire" in text and "went wrong" not in text


def test_a_text_slack_finds_too_long_is_split_until_it_is_taken(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline
) -> None:
    run = serve(field_pipeline)
    run.fake.refuse("chat.postMessage", "msg_too_long", times=2)  # the message, then its text in one piece
    event = mention("Who is the chairwoman of A&B Holdings?")
    run.send(event)
    run.fake.wait_for("chat.postMessage")
    run.idle()
    assert refused(run) == ["msg_too_long", "msg_too_long"]
    posted = run.fake.replies()
    assert posted and all(m["thread_ts"] == event["ts"] and len(m["text"]) <= 1000 for m in posted)
    assert "Maria Keller" in "".join(m["text"] for m in posted) and "went wrong" not in json.dumps(posted)


def test_a_refused_ask_answer_through_response_url_is_sent_as_text(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline
) -> None:
    run = serve(field_pipeline)
    run.fake.fail_channel("C0PRIV", "not_in_channel")
    run.fake.refuse("response_url", "invalid_blocks", with_blocks=True)
    raw = slash_command("Who is the chairwoman of A&B Holdings?", channel="C0PRIV", response_url=run.fake.response_url())
    assert post_form(run.url, SECRET, raw)[0] == 200
    run.fake.wait_for("response_url")
    run.idle()
    [refusal, hook] = run.fake.webhooks
    assert refusal.status == 400 and hook.status == 200 and not hook.params.get("blocks")
    assert hook.params["response_type"] == "in_channel" and "Maria Keller" in hook.params["text"]


@pytest.mark.parametrize("error", ["invalid_blocks", "msg_blocks_too_long"])
def test_a_streamed_answer_whose_final_blocks_are_refused_is_replaced_by_it_as_text(
    serve: Callable[[Pipeline], Running], field_pipeline: Pipeline, error: str
) -> None:
    """The streamed message (the preliminary answer, then the model's sentences) is replaced by the
    final answer; when Slack refuses that message's blocks, by the same answer as text, with its
    sources, in the same message."""
    from openai_fake import OpenAIFake, Step

    from bot.answer.extractive import ExtractiveAnswerer
    from bot.answer.generate import GenerativeAnswerer
    from bot.answer.llm_chat import ChatModelBackend
    from bot.slack.blocks import PRELIMINARY_LABEL

    reply = "Maria Keller is the chairwoman of A&B Holdings [1]."
    with OpenAIFake([Step(reply=reply)]) as llm:
        answerer = GenerativeAnswerer(ChatModelBackend("openai:gpt-test", base_url=llm.base_url),
                                      field_pipeline.embedder, fallback=ExtractiveAnswerer())
        run = serve(Pipeline(field_pipeline.settings, embedder=field_pipeline.embedder, answerer=answerer))
        run.fake.refuse("chat.update", error, with_blocks=True)
        event = mention("Who is the chairwoman of A&B Holdings?")
        run.send(event)
        run.fake.wait_for("chat.update")
        run.idle()
    assert refused(run) == [error]
    [start] = run.fake.calls_to("chat.startStream")
    assert PRELIMINARY_LABEL in json.dumps(start.params)
    [msg] = run.fake.replies()  # the streamed message, replaced; no second copy of the answer
    assert msg["thread_ts"] == event["ts"] and msg["ts"] == start.response["ts"] and not msg["streaming"]
    assert not msg["blocks"] and PRELIMINARY_LABEL not in msg["text"]
    assert "Maria Keller is the chairwoman of A&amp;B Holdings" in msg["text"].split("*Sources*")[0]
    assert "Sources" in msg["text"] and "https://news.example.com/ab-holdings" in msg["text"] and "Business Wire" in msg["text"]
    assert run.fake.calls_to("chat.postMessage") == []


# --- 12. suggested prompts and labels for any corpus -----------------------------------------------
def assistant_started(thread_ts: str) -> dict[str, Any]:
    return {"type": "assistant_thread_started", "event_ts": thread_ts,
            "assistant_thread": {"user_id": "U0ALICE", "channel_id": "D0ALICE", "thread_ts": thread_ts,
                                 "context": {"channel_id": "C0NEWS", "team_id": "T0NEWS"}}}


def test_the_shipped_corpus_gets_a_suggested_prompt_that_answers(
    serve: Callable[[Pipeline], Running], corpus_pipeline: Pipeline
) -> None:
    """corpus/ holds one article with no title and no outlet: the prompt comes from its own text,
    and asking it gets an answer that names the article by its first words."""
    run = serve(corpus_pipeline)
    assert run.bot.ready.wait(60)
    thread = "1700000500.000100"
    run.send(assistant_started(thread))
    run.fake.wait_for("chat.postMessage")  # the greeting
    run.idle()
    [call] = run.fake.calls_to("assistant.threads.setSuggestedPrompts")
    [prompt] = call.params["prompts"]
    assert prompt["title"] == FIRST_WORDS
    assert prompt["message"] == "What is the news about Xiaomi Corp and Beijing Automotive Group Co?"
    run.send(message(prompt["message"], thread_ts=thread))
    answer = run.fake.wait_for("chat.postMessage", 2)[1].params
    run.idle()
    assert "Beijing Automotive" in answer["text"] and "couldn't find" not in answer["text"]
    assert FIRST_WORDS in texts_of(answer) and "(untitled)" not in texts_of(answer)


def test_an_empty_index_still_offers_general_prompts(
    serve: Callable[[Pipeline], Running], tmp_path: Path, minilm: MiniLMEmbedder
) -> None:
    run = serve(Pipeline(Settings(data_dir=tmp_path / "empty", answerer="extractive"), embedder=minilm))
    run.send(assistant_started("1700000600.000100"))
    run.fake.wait_for("chat.postMessage")
    run.idle()
    [call] = run.fake.calls_to("assistant.threads.setSuggestedPrompts")
    assert 1 <= len(call.params["prompts"]) <= 4 and all(p["title"] and p["message"] for p in call.params["prompts"])


def test_an_untitled_article_is_named_by_its_first_words_in_slack_the_repl_and_ask(
    serve: Callable[[Pipeline], Running], corpus_pipeline: Pipeline
) -> None:
    """Cited from a passage that is not its first (so the label is read from the index)."""
    from bot.cli import render_answer
    from bot.repl import Repl, render

    question = "What market share did BYD have in China?"
    answer = corpus_pipeline.ask(question)
    assert not answer.abstained and not answer.citations[0].chunk_id.endswith(":0")
    for shown in (render(answer), render_answer(answer)):
        assert f"[1] {FIRST_WORDS}" in shown and "(untitled)" not in shown
    lines: list[str] = []
    repl = Repl(corpus_pipeline.settings, write=lines.append)
    repl.last = answer
    repl.command(":sources")
    assert lines[0].startswith(f"[1] {FIRST_WORDS}")
    run = serve(corpus_pipeline)
    run.send(mention(question))
    [reply] = run.fake.wait_for("chat.postMessage")
    run.idle()
    assert f"*Sources*  *[1]* {FIRST_WORDS}" in texts_of(reply.params)


@pytest.mark.parametrize(("text", "title", "message"), [
    ("In a surprise move, the Federal Reserve raised interest rates by half a point on Wednesday.",
     "In a surprise move, the Federal Reserve raised\u2026", "What is the news about the Federal Reserve?"),
    ("Apple said on Monday it would buy the music app Shazam for 400 million dollars.",
     "Apple said on Monday it would buy the\u2026", "What is the news about Apple and Shazam?"),
    ("the city council voted on tuesday to close the public swimming pool on elm street.",
     "the city council voted on tuesday to close\u2026",
     "What is the news about \u201cthe city council voted on tuesday to close\u201d?"),
])
def test_an_untitled_article_prompt_asks_about_what_its_first_sentence_names(text: str, title: str,
                                                                              message: str) -> None:
    assert article_prompt(None, None, text) == {"title": title, "message": message}
    assert article_prompt("Reuters", None, text) == {"title": "Latest from Reuters", "message": message}
