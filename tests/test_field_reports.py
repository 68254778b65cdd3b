"""Field reports of issue 15, end to end: an invented article is ingested into a real pipeline (real
Chroma, the real embedding model) on tmp_path and asked with the default extractive answerer."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

from bot.embed import MiniLMEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings


def _pipeline(tmp_path: Path, minilm: MiniLMEmbedder, files: dict[str, str]) -> Pipeline:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, answerer="extractive")
    pipeline = Pipeline(settings, embedder=minilm)
    report = pipeline.ingest([corpus])
    assert report.added == len(files) and not report.skipped
    return pipeline


def _flat(text: str) -> str:
    return " ".join(text.split())


SELWYN = (
    "Selwyn Solar was founded in 2011 by the engineer Maud Petherick and now employs about 600 people. "
    "The company makes rooftop panels at a plant outside Swansea and sells most of them in Germany. "
    "Its revenue rose by a fifth last year, the firm said in its annual report."
)


def test_hard_wrapped_txt_answers_with_the_whole_name(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    # The reported body: wrapped at about 60 columns, the founder's name broken across two lines.
    text = ("Selwyn Solar was founded in 2011 by the engineer Maud\nPetherick and now employs about 600 people.\n"
            "The company makes rooftop panels at a plant outside\nSwansea and sells most of them in Germany.\n")
    pipeline = _pipeline(tmp_path, minilm, {"selwyn.txt": text})
    answer = pipeline.ask("Who founded Selwyn Solar?")
    assert not answer.abstained
    assert "Maud Petherick" in answer.text  # one line, as the article meant it
    assert answer.citations and "Petherick" in answer.citations[0].quote


@pytest.mark.parametrize("width", [38, 52, 60, 72])
def test_hard_wrapped_txt_at_several_widths(tmp_path: Path, minilm: MiniLMEmbedder, width: int) -> None:
    text = "Selwyn Solar\n\n" + textwrap.fill(SELWYN, width) + "\n"
    pipeline = _pipeline(tmp_path, minilm, {"selwyn.txt": text})
    answer = pipeline.ask("Who founded Selwyn Solar?")
    assert "Maud Petherick" in _flat(answer.text), answer.text
    answer = pipeline.ask("How many people does Selwyn Solar employ?")
    # The whole wrapped sentence is the answer, not its last line.
    assert "about 600 people" in _flat(answer.text) and "Maud Petherick" in _flat(answer.text), answer.text


def _endless(seed: int, name_at: int) -> str:
    rng = random.Random(seed)
    filler = ("the board of the regional utility said after a long and at times heated review of its "
              "accounts and of the plans for its grid that it had also agreed").split()
    words = [rng.choice(filler) for _ in range(400)]
    words[name_at:name_at] = "appointed Petra Odell as the new finance chief of the utility".split()
    return "Harbour Grid names a finance chief\n\n" + " ".join(words) + "\n"


@pytest.mark.parametrize("name_at", [120, 150, 154, 156, 157, 158, 300, 306, 309])
def test_a_name_across_a_cut_in_an_endless_sentence(tmp_path: Path, minilm: MiniLMEmbedder, name_at: int) -> None:
    # A 400-word sentence with no punctuation, the name placed at several distances from the cuts.
    pipeline = _pipeline(tmp_path, minilm, {"grid.txt": _endless(7, name_at)})
    answer = pipeline.ask("Who was appointed as the new finance chief of the utility?")
    assert not answer.abstained
    assert "Petra Odell" in _flat(answer.text), answer.text


def test_a_chinese_article_is_answered_with_one_sentence(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    # Sentences end at 。 with no space after: the answer is the sentence that holds it, not the article.
    # (The answerer's own handling of CJK questions is another part of issue 15, point 3.)
    text = ("蓝湾电池扩产\n\n蓝湾电池成立于2010年，总部位于宁波。公司目前有1200名员工。"
            "去年公司的收入增长了两成！公司计划明年在合肥新建一座工厂。")
    pipeline = _pipeline(tmp_path, minilm, {"lanwan.txt": text})
    answer = pipeline.ask("蓝湾电池的总部在哪里？")
    assert not answer.abstained
    assert "宁波" in answer.text and "1200" not in answer.text and "合肥" not in answer.text, answer.text
    assert answer.citations[0].quote == "蓝湾电池成立于2010年，总部位于宁波。"
