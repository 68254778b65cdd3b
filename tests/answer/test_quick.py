"""Progressive answers: a pipeline whose answerer has a model gives the quoted evidence answer first
(`on_quick`, `Answer.preliminary`), before the model is asked; the real shipped corpus, the real
embedding model, and a local server speaking OpenAI's chat API as the model."""

from __future__ import annotations

from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.generate import GenerativeAnswerer
from bot.answer.llm_chat import ChatModelBackend
from bot.pipeline import Pipeline
from bot.schema import Answer
from openai_fake import OpenAIFake, Step

QUESTION = "Who is Xiaomi in talks with?"
REPLY = "Xiaomi is in talks with Beijing Automotive Group about electric cars [1]."


def test_the_quoted_answer_comes_before_the_model_is_asked(corpus_pipeline: Pipeline) -> None:
    with OpenAIFake([Step(reply=REPLY)]) as fake:
        answerer = GenerativeAnswerer(ChatModelBackend("openai:gpt-test", base_url=fake.base_url),
                                      corpus_pipeline.embedder, fallback=ExtractiveAnswerer())
        pipeline = Pipeline(corpus_pipeline.settings, embedder=corpus_pipeline.embedder, answerer=answerer)
        seen: list[tuple[Answer, int]] = []
        answer = pipeline.ask(QUESTION, on_quick=lambda quick: seen.append((quick, len(fake.requests))))
    [(quick, asked_before)] = seen
    assert asked_before == 0  # the model had not been asked yet
    assert quick.preliminary and not quick.abstained and "Beijing Automotive Group" in quick.text
    assert quick.citations and all(any(c.quote in h.passage.text for h in quick.hits) for c in quick.citations)
    assert [h.passage.chunk_id for h in quick.hits] == [h.passage.chunk_id for h in answer.hits]
    assert quick.to_json()["preliminary"] is True and "preliminary" not in answer.to_json()
    assert not answer.preliminary and "Beijing Automotive Group" in answer.text
    t = answer.timings_ms
    assert t["first_content"] == t["retrieve"] + t["quick"] < t["total"]


def test_an_answerer_without_a_model_has_no_preliminary_answer(corpus_pipeline: Pipeline) -> None:
    seen: list[Answer] = []
    answer = corpus_pipeline.ask(QUESTION, on_quick=seen.append)
    assert seen == [] and not answer.abstained and "first_content" not in answer.timings_ms


def test_a_prepared_question_has_its_hits_and_preliminary_before_the_model_completes_it(corpus_pipeline: Pipeline) -> None:
    """`prepare` retrieves and quotes without asking the model (the Slack bot runs it as soon as a
    question is admitted); `complete` asks the model later and records the turn in the conversation."""
    from bot.conversation import Conversation

    with OpenAIFake([Step(reply=REPLY)]) as fake:
        answerer = GenerativeAnswerer(ChatModelBackend("openai:gpt-test", base_url=fake.base_url),
                                      corpus_pipeline.embedder, fallback=ExtractiveAnswerer())
        pipeline = Pipeline(corpus_pipeline.settings, embedder=corpus_pipeline.embedder, answerer=answerer)
        conversation = Conversation()
        seen: list[Answer] = []
        prepared = pipeline.prepare(QUESTION, conversation=conversation, on_quick=seen.append)
        assert fake.requests == [] and conversation.turns == []  # nothing asked of the model, nothing recorded
        assert seen == [prepared.preliminary] and prepared.preliminary is not None and prepared.hits
        assert prepared.query.question == QUESTION and set(prepared.timings_ms) == {"retrieve", "quick", "condense"}
        answer = pipeline.complete(prepared)
        assert len(fake.requests) == 1
    assert "Beijing Automotive Group" in answer.text and not answer.preliminary
    assert [h.passage.chunk_id for h in answer.hits] == [h.passage.chunk_id for h in prepared.hits]
    assert [t.question for t in conversation.turns] == [QUESTION]
    assert answer.timings_ms["first_content"] == prepared.timings_ms["retrieve"] + prepared.timings_ms["quick"]
