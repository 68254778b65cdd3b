"""The conversation mechanism: condensing follow-ups and storing sessions."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import Conversation, SessionStore, Turn, condense, is_followup
from bot.pipeline import Pipeline


def test_followups_are_detected() -> None:
    assert is_followup("What would they buy?")
    assert is_followup("And when?")
    assert is_followup("Why did the shares fall?")
    assert not is_followup("Which carmaker is Xiaomi in talks with?")
    assert not is_followup("When does Xiaomi plan mass production?")


def test_condense_carries_the_subject_names() -> None:
    turns = [Turn("Who is Xiaomi talking to?", "Who is Xiaomi talking to?",
                  "Xiaomi Corp is in discussions with Beijing Automotive Group Co. [1]", False, ["d1"])]
    out = condense(turns, "What would they buy?")
    assert out.startswith("What would they buy?") and "Xiaomi" in out
    assert condense(turns, "What did Tesla sell in May?") == "What did Tesla sell in May?"


def test_session_store_round_trip(database: Path | str) -> None:
    store = SessionStore(database)
    conv = store.load("repl:x")
    assert conv.turns == []
    conv.turns.append(Turn("q", "q", "a [1]", False, ["d1"], ["T"]))
    store.save("repl:x", conv)
    again = store.load("repl:x")
    assert again.turns[0].doc_ids == ["d1"] and again.prefer_docs() == ("d1",)
    other = SessionStore(database)  # another process (or host) sees the same conversations
    assert other.load("repl:x").turns == again.turns and other.keys() == ["repl:x"]
    store.reset("repl:x")
    assert store.load("repl:x").turns == []


def test_three_turn_conversation_over_the_corpus(corpus_pipeline: Pipeline) -> None:
    conv = Conversation()
    first = corpus_pipeline.ask("Who is Xiaomi in talks with?", conversation=conv)
    assert "Beijing Automotive" in first.text and first.citations
    second = corpus_pipeline.ask("What would they buy?", conversation=conv)
    assert "Xiaomi" in second.standalone_query
    assert "Beijing Hyundai No. 2" in second.text and not second.abstained
    third = corpus_pipeline.ask("When do they plan to mass-produce?", conversation=conv)
    assert "2024" in third.text
    assert len(conv.turns) == 3
    # Without the conversation the follow-up has nothing to stand on.
    alone = corpus_pipeline.ask("What would they buy?")
    assert alone.abstained
