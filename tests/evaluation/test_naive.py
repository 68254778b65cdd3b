"""The naive LangChain tutorial pipeline, on a real Chroma folder with the real MiniLM model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.answer.extractive import ExtractiveAnswerer
from bot.embed import MiniLMEmbedder
from bot.errors import IndexEmptyError, QuestionError
from bot.evaluation.naive import CHUNK_OVERLAP, CHUNK_SIZE, NaivePipeline, _LangChainEmbeddings
from bot.schema import Article
from bot.settings import Settings

BRIDGE = (
    "The Lindqvist Bridge in Port Avery reopened on Monday after a two-year repair. "
    "Mayor Celia Marsh cut the ribbon in front of a crowd of about 3,000 people. "
)
FESTIVAL = "Orchard Valley's apple festival crowned grower Tomas Reyes as champion for his Honeycrisp apples."
FILLER = " ".join(
    f"Paragraph {i} describes the council's budget debate over road repairs, bus lanes and parking fees."
    for i in range(40)
)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_embeddings_adapter_is_the_same_model(embedder: MiniLMEmbedder) -> None:
    adapter = _LangChainEmbeddings(embedder)
    docs = adapter.embed_documents(["BYD leads China's EV market.", "Xiaomi talks to BAIC."])
    assert len(docs) == 2 and len(docs[0]) == 384
    np.testing.assert_allclose(docs[1], embedder.embed(["Xiaomi talks to BAIC."])[0], atol=1e-5)
    np.testing.assert_allclose(adapter.embed_query("Xiaomi talks to BAIC."), docs[1], atol=1e-5)


def test_ingest_retrieve_ask(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    naive = NaivePipeline(Settings(data_dir=tmp_path), embedder, ExtractiveAnswerer())
    with pytest.raises(IndexEmptyError, match="naive index is empty"):
        naive.ask("Who won the festival?")
    long_text = BRIDGE + FILLER
    articles = [
        Article(text=long_text, title="Bridge reopens", source="Port Times", url="https://pt.test/bridge"),
        Article(text=FESTIVAL, title="Festival", path="festival.md"),
    ]
    naive.ingest_articles(articles)
    count = naive.count()
    assert count > 2  # the long article is split into several chunks of at most 1000 characters
    assert (tmp_path / "naive").is_dir()

    hits = naive.retrieve("Who cut the ribbon at the Lindqvist Bridge?")
    assert len(hits) == 4  # the tutorial's default k
    top = hits[0].passage
    assert "Celia Marsh" in top.text and top.url == "https://pt.test/bridge" and top.title == "Bridge reopens"
    assert len(top.text) <= CHUNK_SIZE and long_text[top.start:top.end] == top.text
    chunks = sorted((h.passage for h in naive.retrieve("council budget debate", k=count)), key=lambda p: p.start)
    bridge = [p for p in chunks if p.article_id == "https://pt.test/bridge"]
    assert any(a.end - b.start > 0 and b.start > a.start for a, b in zip(bridge, bridge[1:]))  # overlapping
    assert all(b.start >= a.end - CHUNK_OVERLAP - 50 for a, b in zip(bridge, bridge[1:]))
    assert [h.dense_rank for h in hits] == [1, 2, 3, 4]
    assert hits[0].score >= hits[-1].score

    answer = naive.ask("Who won the Orchard Valley apple festival?")
    assert not answer.abstained and "Tomas Reyes" in answer.text
    assert answer.citations and answer.citations[0].path == "festival.md"
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"}

    naive.ingest_articles(articles)  # the same chunk ids: upserted, not duplicated
    assert naive.count() == count
    reopened = NaivePipeline(Settings(data_dir=tmp_path), embedder, ExtractiveAnswerer())
    assert reopened.count() == count


def test_empty_question_is_refused(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    naive = NaivePipeline(Settings(data_dir=tmp_path), embedder, ExtractiveAnswerer())
    with pytest.raises(QuestionError, match="empty"):
        naive.ask("   ")
