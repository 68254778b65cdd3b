"""Tests for bot/text.py: the one text normalisation, for articles and questions alike."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import QuestionError
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.text import INVISIBLE, normalize_text

# Every character the normaliser promises to remove, named as the brief names them.
REMOVED = {
    "\u00ad": "soft hyphen",
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u2060": "word joiner",
    "\ufeff": "byte order mark",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u202a": "left-to-right embedding",
    "\u202b": "right-to-left embedding",
    "\u202c": "pop directional formatting",
    "\u202d": "left-to-right override",
    "\u202e": "right-to-left override",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
    "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
}


@pytest.mark.parametrize("char", sorted(REMOVED), ids=lambda c: REMOVED[c])
def test_each_invisible_character_is_removed(char: str) -> None:
    assert normalize_text(f"Vor{char}haus{char}werke") == "Vorhauswerke"
    assert normalize_text(char * 3) == ""


def test_the_removed_set_is_exactly_the_promised_one() -> None:
    assert set(REMOVED) == set(INVISIBLE)


def test_nfc_and_visible_text_kept() -> None:
    assert normalize_text("Cafe\u0301") == "Caf\u00e9"
    # A soft hyphen between a letter and its accent: removed first, then composed.
    assert normalize_text("Caf e\u00ad\u0301") == "Caf \u00e9"
    assert normalize_text("Angstr\u00f6m \u212b") == "Angstr\u00f6m \u00c5"  # Angstrom sign -> letter
    # Whitespace is not the normaliser's business: newlines, tabs and spaces stay as written.
    assert normalize_text("  line one\n\tline two  \n") == "  line one\n\tline two  \n"
    # Visible hyphens, dashes and non-Latin scripts are text, not invisible characters.
    assert normalize_text("e-mail \u2014 \u05e9\u05dc\u05d5\u05dd \u4e2d\u6587") == (
        "e-mail \u2014 \u05e9\u05dc\u05d5\u05dd \u4e2d\u6587")


@given(st.text())
def test_property_output_is_nfc_without_invisibles_and_stable(s: str) -> None:
    out = normalize_text(s)
    assert not set(out) & INVISIBLE
    assert unicodedata.is_normalized("NFC", out)
    assert normalize_text(out) == out
    assert out.count("\n") == s.count("\n")


@pytest.mark.parametrize("question", [
    "Who ordered trains from Vor\u00adhaus\u00adwerke?",
    "\ufeffWho ordered trains from Vorhaus\u200bwerke?\u200e",
    "Who ordered trains from \u2066Vorhauswerke\u2069?",
])
def test_questions_are_normalised_by_check_question(tmp_path: Path, question: str) -> None:
    # Every front end (CLI, REPL, Slack, evaluation) asks through Pipeline.check_question.
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"))
    assert pipeline.check_question(question) == "Who ordered trains from Vorhauswerke?"


def test_a_question_of_invisible_characters_only_is_empty(tmp_path: Path) -> None:
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(QuestionError, match="the question is empty"):
        pipeline.check_question("\u200b\u00ad \ufeff")
