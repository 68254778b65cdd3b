"""The real `newsbot repl` driven in a pseudo-terminal."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pytest

from bot.pipeline import Pipeline

NEWSBOT = str(Path(sys.executable).parent / "newsbot")
PROMPT = "newsbot>"  # prompt_toolkit draws the trailing space as a cursor move


def _spawn(data_dir: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    # poll, not select: by now the test process may hold more than 1024 files (Chroma keeps the
    # index files of every collection the suite opened), and select() cannot wait on such descriptors.
    child = pexpect.spawn(NEWSBOT, ["repl", *args], env=env, encoding="utf-8", timeout=90, dimensions=(50, 400),
                          use_poll=True)
    return child


def _ask(child: pexpect.spawn, line: str) -> str:
    """Send a line; return what the REPL printed before its next prompt."""
    child.sendline(line)
    # prompt_toolkit turns bracketed paste off when it hands the line over; the output follows.
    child.expect_exact("\x1b[?2004l")
    child.expect_exact(PROMPT)
    return str(child.before)


@pytest.mark.slow
def test_three_turn_conversation_sources_reset_and_quit(corpus_pipeline: Pipeline) -> None:
    started = time.monotonic()
    child = _spawn(corpus_pipeline.settings.data_dir)
    child.expect("articles")
    child.expect_exact(PROMPT)
    assert time.monotonic() - started < 5.0, "the REPL must start in under 5 seconds"

    first = _ask(child, "Who is Xiaomi in talks with?")
    assert "Beijing Automotive" in first and "[1]" in first
    second = _ask(child, "What would they buy?")
    assert "Beijing Hyundai No. 2" in second and "[1]" in second
    third = _ask(child, "When do they plan to mass-produce?")
    assert "2024" in third

    sources = _ask(child, ":sources")
    assert '"The company has committed to mass manufacturing its vehicles in the first half of 2024."' in sources
    why = _ask(child, ":why")
    assert "standalone query: When do they plan to mass-produce? (" in why and "score" in why

    assert "reset" in _ask(child, ":reset").lower()
    after = _ask(child, "What would they buy?")
    assert "couldn't find" in after

    child.sendline(":quit")
    child.expect("bye")
    child.expect(pexpect.EOF)


def test_ctrl_d_quits_and_empty_index_says_how_to_ingest(tmp_path: Path) -> None:
    child = _spawn(tmp_path / "empty")
    child.expect("is empty")
    child.expect("newsbot ingest")
    child.expect_exact(PROMPT)
    child.sendcontrol("d")
    child.expect("bye")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_help_and_unknown_command(tmp_path: Path) -> None:
    child = _spawn(tmp_path / "empty")
    child.expect_exact(PROMPT)
    assert ":sources" in _ask(child, ":help")
    assert "unknown command" in _ask(child, ":frobnicate")
    assert "not a date" in _ask(child, ":as-of yesterday")
    assert "2022-09-01" in _ask(child, ":as-of 2022-09-01")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


@pytest.mark.slow
def test_the_repl_shows_checked_sentences_while_the_model_is_still_writing(corpus_pipeline: Pipeline) -> None:
    from openai_fake import OpenAIFake, Step

    first = "Xiaomi is in talks with Beijing Automotive Group about its electric cars [1]."
    rest = " Xiaomi could buy a stake in the Beijing Hyundai No. 2 plant [1]."
    with OpenAIFake([Step(reply=first + rest, pause_at=len(first) + 3)]) as fake:
        env = {"NEWSBOT_ANSWERER": "llm", "NEWSBOT_LLM": "openai:gpt-test", "NEWSBOT_LLM_BASE_URL": fake.base_url}
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            child = _spawn(corpus_pipeline.settings.data_dir)
        finally:
            for key, value in saved.items():  # put back what was there (conftest's answerer), not nothing
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        child.expect_exact(PROMPT)
        child.sendline("Who is Xiaomi in talks with?")
        # First, before the model is asked: what is being read and the quoted answer, marked preliminary.
        child.expect_exact("Reading 1 article; quoting ")
        child.expect_exact("Preliminary (quoted from the articles; the model's answer follows): ")
        child.expect_exact("Beijing Automotive Group")
        # The first sentence is on screen while the server holds back the rest of the reply.
        child.expect_exact("Xiaomi is in talks with Beijing Automotive Group about its electric cars")
        assert fake.paused.is_set() and not fake.release.is_set()
        fake.release.set()
        child.expect_exact("Beijing Hyundai No. 2 plant")
        child.expect_exact(PROMPT)
        shown = str(child.before)
        # The streamed text is not printed a second time; its source follows.
        # An untitled article is named by its first words.
        assert shown.count("Beijing Hyundai No. 2 plant") == 0
        assert "[1] Chinese smartphone maker Xiaomi Corp is in discussions\u2026" in shown
        assert "xiaomi-baic-ev-talks.md" in shown
        child.sendeof()
        child.expect(pexpect.EOF)
