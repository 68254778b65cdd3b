"""The yardstick: LangChain's RAG tutorial pipeline, with our embedding model and our answerer.

RecursiveCharacterTextSplitter(1000, 200) -> langchain_chroma.Chroma.add_texts -> similarity top-4
-> the configured answerer. No dates, no lexical search, no titles in the vectors: what a user
would otherwise build. This is the only module that imports langchain_chroma and
langchain_text_splitters; their errors become StoreError here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from bot.embed import Embedder
from bot.errors import IndexEmptyError, QuestionError, StoreError
from bot.schema import Answer, Article, Hit, Passage
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.answer.base import Answerer

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
BATCH_CHUNKS = 256
COLLECTION = "naive"


class NaivePipeline:
    """Tutorial RAG over a persistent Chroma folder `<data_dir>/naive`."""

    def __init__(self, settings: Settings, embedder: Embedder, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._answerer = answerer
        self._store: Any = None
        self._splitter: Any = None

    @property
    def answerer(self) -> Answerer:
        """The configured answerer, the same one the default pipeline uses."""
        if self._answerer is None:
            from bot.pipeline import make_answerer

            self._answerer = make_answerer(self.settings, self.embedder)
        return self._answerer

    def _vector_store(self) -> Any:
        if self._store is None:
            try:
                from chromadb.config import Settings as ChromaSettings
                from langchain_chroma import Chroma
                from langchain_text_splitters import RecursiveCharacterTextSplitter

                self._splitter = RecursiveCharacterTextSplitter(
                    chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
                )
                folder = self.settings.data_dir / "naive"
                folder.mkdir(parents=True, exist_ok=True)
                self._store = Chroma(
                    collection_name=COLLECTION,
                    embedding_function=_LangChainEmbeddings(self.embedder),
                    persist_directory=str(folder),
                    client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
                )
            except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds
                raise StoreError(f"could not open the naive Chroma store: {exc}") from exc
        return self._store

    def count(self) -> int:
        """Number of stored chunks."""
        try:
            return int(self._vector_store()._collection.count())
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"naive Chroma store failed: {exc}") from exc

    def ingest_articles(self, articles: Iterable[Article]) -> None:
        """Split, embed and add articles, as the tutorial does (re-adding an article upserts it)."""
        store = self._vector_store()
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        ids: list[str] = []
        for article in articles:
            doc = hashlib.sha1(article.key.encode()).hexdigest()[:16]
            meta = {k: v for k, v in _article_meta(article).items() if v is not None}
            for i, chunk in enumerate(self._splitter.create_documents([article.text], [meta])):
                texts.append(chunk.page_content)
                metadatas.append(chunk.metadata)
                ids.append(f"naive:{doc}:{i}")
            if len(texts) >= BATCH_CHUNKS:
                self._add(store, texts, metadatas, ids)
                texts, metadatas, ids = [], [], []
        if texts:
            self._add(store, texts, metadatas, ids)

    @staticmethod
    def _add(store: Any, texts: list[str], metadatas: list[dict[str, Any]], ids: list[str]) -> None:
        try:
            store.add_texts(texts, metadatas=metadatas, ids=ids)
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"naive Chroma add failed: {exc}") from exc

    def retrieve(self, question: str, k: int = TOP_K) -> list[Hit]:
        """Similarity search, best first."""
        store = self._vector_store()
        try:
            found = store.similarity_search_with_score(question, k=k)
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"naive Chroma search failed: {exc}") from exc
        hits = []
        for rank, (doc, distance) in enumerate(found, start=1):
            meta = doc.metadata or {}
            start = int(meta.get("start_index", 0))
            chunk_id = doc.id or f"naive:{meta.get('article_id')}:{start}"
            hits.append(
                Hit(
                    passage=Passage(
                        chunk_id=chunk_id,
                        doc_id=chunk_id.rsplit(":", 1)[0],
                        text=doc.page_content,
                        article_id=str(meta.get("article_id", "")),
                        title=meta.get("title"),
                        source=meta.get("source"),
                        published=meta.get("published"),
                        url=meta.get("url"),
                        path=meta.get("path"),
                        start=start,
                        end=start + len(doc.page_content),
                    ),
                    score=1.0 - float(distance) / 2.0,  # squared L2 of unit vectors -> cosine
                    dense_rank=rank,
                )
            )
        return hits

    def answer_passages(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Run the answerer on given passages."""
        t0 = time.perf_counter()
        reply = self.answerer.answer(question, hits)
        elapsed = (time.perf_counter() - t0) * 1000
        return Answer(
            question=question,
            text=reply.text,
            abstained=reply.abstained,
            citations=reply.citations,
            hits=list(hits),
            standalone_query=question,
            timings_ms={"answer": elapsed, "total": elapsed},
            check=reply.check,
        )

    def ask(self, question: str) -> Answer:
        """Retrieve the top 4 chunks and answer from them."""
        question = question.strip()
        if not question:
            raise QuestionError("the question is empty")
        if self.count() == 0:
            raise IndexEmptyError("the naive index is empty: ingest articles first")
        t0 = time.perf_counter()
        hits = self.retrieve(question, TOP_K)
        t1 = time.perf_counter()
        answer = self.answer_passages(question, hits)
        t2 = time.perf_counter()
        answer.timings_ms = {
            "retrieve": (t1 - t0) * 1000,
            "answer": (t2 - t1) * 1000,
            "total": (t2 - t0) * 1000,
        }
        return answer


def _article_meta(article: Article) -> dict[str, Any]:
    return {
        "article_id": article.key,
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "url": article.url,
        "path": article.path,
    }


class _LangChainEmbeddings(Embeddings):
    """LangChain `Embeddings` around our embedder (the same model the default pipeline uses)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        return self.embedder.embed(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self.embedder.embed([text])[0].tolist()  # type: ignore[no-any-return]
