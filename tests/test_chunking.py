"""Chunking (issue 2 point 5): sentence-aware, within the model's 256-wordpiece limit with no silent
truncation, overlapping, and every chunk an exact slice of the article with its offsets."""

from __future__ import annotations

import random
import time

import pytest

from bot.chunking import SentenceChunker, WordpieceCounter, document_id, split_sentences
from bot.embed import MAX_WORDPIECES
from bot.ingest import embed_inputs
from bot.schema import Article


@pytest.fixture(scope="module")
def chunker() -> SentenceChunker:
    return SentenceChunker()


@pytest.fixture(scope="module")
def counter(chunker: SentenceChunker) -> WordpieceCounter:
    return chunker.counter


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentences_respect_abbreviations_initials_and_numbers() -> None:
    text = ('Mr. Smith met U.S. officials on Jan. 5 in Washington. J. Powell said rates rose 3.5 percent. '
            '"We are done." He left!\n\nA short line without a full stop\nA line after it\nand its wrapped end')
    assert sentences(text) == [
        "Mr. Smith met U.S. officials on Jan. 5 in Washington.",
        "J. Powell said rates rose 3.5 percent.",
        '"We are done."',
        "He left!",
        "A short line without a full stop",  # short: broken on purpose, not wrapped
        "A line after it\nand its wrapped end",  # a lower-case next line goes on the sentence
    ]


def test_sentence_spans_are_trimmed_slices() -> None:
    text = "  First one.   Second one?\n\n  Third!  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one?", "Third!"]
    assert split_sentences("") == [] and split_sentences(" \n\n ") == []


def test_document_id_is_the_normalised_text() -> None:
    a = document_id("Café  society\nreturns.")
    assert a == document_id("Cafe\u0301 society returns.  ")  # NFC and whitespace do not matter
    assert a != document_id("Café society returned.")
    assert len(a) == 24


def article(seed: int, n_sentences: int = 80) -> str:
    rng = random.Random(seed)
    words = "the council budget approved billion euros transport minister said plans tramway cyclists".split()
    out = []
    for _ in range(n_sentences):
        out.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 45))).capitalize() + rng.choice(".!?"))
    return " ".join(out)


TEXTS = {
    "prose": article(1),
    "paragraphs": "\n\n".join(article(s, 6) for s in range(8)),
    "one endless sentence": " ".join(["and the minister kept talking"] * 400),
    "no spaces": "北京现代第二工厂拥有在中国生产汽车的许可证" * 60,
    "long token": "See " + "x" * 3000 + " for details. Then more text follows here.",
    "bullets": "\n".join(f"- item {i} of the list with a few words" for i in range(120)),
}


@pytest.mark.parametrize("name", TEXTS)
def test_chunks_are_exact_slices_within_the_model_limit(chunker: SentenceChunker, counter: WordpieceCounter, name: str) -> None:
    text = TEXTS[name]
    doc = document_id(text)
    chunks = chunker.chunk(doc, text)
    assert chunks
    title = "A title of two hundred characters " * 7
    for i, c in enumerate(chunks):
        assert c.id == f"{doc}:{i}" and c.index == i and c.doc_id == doc
        assert c.text == text[c.start : c.end], "a chunk must be an exact slice so citations quote exactly"
        assert c.text == c.text.strip()
        # What the model sees (title + chunk, plus [CLS] and [SEP]) fits: nothing is silently truncated.
        [embedded] = embed_inputs([(Article(text=text, title=title), c)], counter)
        assert counter.count([embedded])[0] + 2 <= MAX_WORDPIECES, (name, i)
        assert embedded.endswith(c.text)
    # Nothing of the article is lost between chunks.
    covered = [False] * len(text)
    for c in chunks:
        covered[c.start : c.end] = [True] * (c.end - c.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_chunks_hold_whole_sentences_and_overlap_by_one(chunker: SentenceChunker) -> None:
    text = TEXTS["prose"]
    spans = split_sentences(text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    chunks = chunker.chunk("d", text)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert a.start in starts and a.end in ends
        assert b.start < a.end, "consecutive chunks share a sentence"
        shared = [s for s in spans if b.start <= s[0] and s[1] <= a.end]
        assert len(shared) == 1
    assert chunks[-1].end == spans[-1][1]


def test_chunk_size_follows_the_setting(counter: WordpieceCounter) -> None:
    text = TEXTS["prose"]
    small = SentenceChunker(counter, max_tokens=60).chunk("d", text)
    large = SentenceChunker(counter, max_tokens=200).chunk("d", text)
    assert len(small) > len(large)
    assert max(counter.count([c.text for c in small])) <= 60
    assert max(counter.count([c.text for c in large])) <= 200
    # A setting above the model's limit is capped at it, and the title then gives way to the chunk.
    capped = SentenceChunker(counter, max_tokens=10_000)
    assert capped.max_tokens <= MAX_WORDPIECES - 2
    pairs = [(Article(text=text, title="A long title " * 15), c) for c in capped.chunk("d", text)]
    inputs = embed_inputs(pairs, counter)
    assert max(counter.count(inputs)) <= MAX_WORDPIECES - 2
    assert any(t.startswith("A long title") for t in inputs) or all(t == c.text for t, (_, c) in zip(inputs, pairs))


def test_short_and_empty_articles(chunker: SentenceChunker) -> None:
    assert chunker.chunk("d", "") == []
    assert chunker.chunk("d", "   \n ") == []
    one = chunker.chunk("d", "Just one sentence.")
    assert [(c.text, c.start, c.end) for c in one] == [("Just one sentence.", 0, 18)]


def test_chunking_a_huge_article_is_linear(chunker: SentenceChunker) -> None:
    text = "The council met on Monday to discuss the budget for the next year. " * 3000
    t0 = time.perf_counter()
    small = chunker.chunk("d", text[: len(text) // 4])
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks = chunker.chunk("d", text)
    t_big = time.perf_counter() - t0
    assert len(chunks) > 3 * len(small)
    assert t_big < 8 * t_small + 1.0, f"4x the text took {t_big / max(t_small, 1e-9):.1f}x the time"
