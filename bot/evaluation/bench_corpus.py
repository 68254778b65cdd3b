"""The benchmark's corpus: RealTime QA articles and questions, the pool of real chunk vectors, copies.

The first N pooled articles (seeded shuffle) are ingested for real and their chunk vectors recorded
(`Recorder`): the pool. Larger corpora re-ingest those articles as copies, whose vectors the
`ReplayEmbedder` makes from the pool (`copy_vectors`) instead of running the model.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.settings import Settings

# A copy's vector: its chunk's real vector + COPY_MIX x another real pool vector + Gaussian noise of norm
# COPY_SIGMA, renormalised (cosine ~0.85 to the original). Noise alone would make tight clusters of
# near-ties that split the HNSW graph into islands; mixing spreads copies over the real vectors' span.
COPY_MIX = 0.6
COPY_SIGMA = 0.4
COPY_MARK = re.compile(r"\s*⟦(\d+)⟧")
SEED = 20221230


def load_articles(dataset: Path, n: int) -> list[Any]:
    """The first n pooled RealTime QA articles, in a seeded shuffle of url order."""
    from bot.evaluation.datasets import load_realtimeqa

    pooled = sorted(load_realtimeqa(dataset).articles(), key=lambda a: a.url or "")
    random.Random(SEED).shuffle(pooled)
    return pooled[:n]


def load_questions(dataset: Path, n: int) -> list[list[str]]:
    """n RealTime QA questions (seeded sample) with their question dates."""
    from bot.evaluation.datasets import load_realtimeqa

    cases = load_realtimeqa(dataset).cases
    random.Random(SEED).shuffle(cases)
    return [[c.question, c.as_of.isoformat() if c.as_of else ""] for c in cases[:n]]


# The cold-start phase's question the articles do not answer (news of 2022 has nothing on it).
UNANSWERED = "What did the harbour master of Torshavn say about the 1887 ferry timetable?"


def cold_questions(dataset: Path, articles: Sequence[Any]) -> list[dict[str, str]]:
    """Two questions for the cold-start phase: one the articles answer, one they do not.

    The answered one is the first question (in load_questions' seeded order) whose evidence article
    is among `articles`, else the first whose gold answer appears in one of them, else the first.
    """
    from bot.evaluation.datasets import load_realtimeqa

    cases = load_realtimeqa(dataset).cases
    random.Random(SEED).shuffle(cases)
    urls = {a.url for a in articles if a.url}
    texts = [a.text.lower() for a in articles]

    def gold_in_text(case: Any) -> bool:
        return any(g.lower() in t for g in case.turns[0].answers if len(g) > 2 for t in texts)

    picks = [(next((c for c in cases if urls & set(c.turns[0].evidence)), None), "its evidence article is ingested"),
             (next((c for c in cases if gold_in_text(c)), None), "its gold answer is in an ingested article"),
             (cases[0] if cases else None, "no question's evidence was ingested: the first question")]
    case, why = next((c, w) for c, w in picks if c is not None)
    answered = {"kind": "answered", "question": case.question, "why": why, "gold": (case.turns[0].answers or ("",))[0]}
    return [answered, {"kind": "unanswered", "question": UNANSWERED, "why": "not in the news of the dataset", "gold": ""}]


def corpus_digest(dataset: Path, n: int, settings: Settings) -> str:
    """A short hash of the corpus and the chunking settings: names the pool file and the size indexes."""
    from bot.evaluation.datasets import load_realtimeqa

    digest = hashlib.sha256(load_realtimeqa(dataset).corpus_hash().encode())
    digest.update(f"{n}:{settings.chunk_tokens}:{settings.chunk_overlap_sentences}:{SEED}".encode())
    return digest.hexdigest()[:10]


class Pool:
    """Real (text, vector) pairs recorded while our pipeline ingested the first N articles."""

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        self.texts = texts
        self.vectors = vectors
        self.index = {t: i for i, t in enumerate(texts)}

    @classmethod
    def load(cls, path: Path) -> Pool:
        """The pool a recorded ingest saved."""
        data = np.load(path, allow_pickle=False)
        return cls([str(t) for t in data["texts"]], data["vectors"].astype(np.float32))

    def expand(self, n: int) -> np.ndarray:
        """n vectors: the pool, then copies of it made as the replay embedder makes them."""
        rng = np.random.default_rng(SEED)
        p, dim = self.vectors.shape
        reps = math.ceil(n / p)
        out = np.tile(self.vectors, (reps, 1))[:n].copy()
        extra = n - min(n, p)
        if extra:
            out[p:] = copy_vectors(out[p:], self.vectors[rng.integers(0, p, extra)], rng)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def copy_vectors(own: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies' vectors: own + COPY_MIX * other + noise of norm ~COPY_SIGMA, unit length."""
    noise = rng.standard_normal(own.shape).astype(np.float32) / math.sqrt(own.shape[1])
    out = own + COPY_MIX * other + COPY_SIGMA * noise
    unit: np.ndarray = (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)
    return unit


class Recorder:
    """Wraps the real embedder and keeps what it embedded (the pool of real vectors)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []
        self.parts: list[np.ndarray] = []

    def warm_up(self) -> None:
        """Load the wrapped embedder's model."""
        warm = getattr(self.inner, "warm_up", None)
        if callable(warm):
            warm()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the wrapped embedder and keep texts and vectors."""
        vectors: np.ndarray = self.inner.embed(texts)
        self.texts.extend(texts)
        self.parts.append(vectors)
        return vectors

    def save(self, path: Path) -> None:
        """Write the pool (texts and vectors) atomically."""
        vectors = np.concatenate(self.parts) if self.parts else np.zeros((0, self.dim), np.float32)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(self.texts, dtype=str), vectors=vectors.astype(np.float32))
        os.replace(tmp, path)


class ReplayEmbedder:
    """Vectors for copies of pool articles: the real vector of the same chunk, plus noise for copies."""

    def __init__(self, pool: Pool, name: str) -> None:
        self.pool = pool
        self.name = name  # the collection is named after the embedder whose vectors these are
        self.dim = pool.vectors.shape[1]
        self.stats = {"exact": 0, "perturbed": 0, "unmatched": 0}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's pool vector (a perturbed one for a copy)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        seed = int.from_bytes(hashlib.blake2b((texts[0] if texts else "").encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        for i, text in enumerate(texts):
            copy = COPY_MARK.search(text) is not None
            key = COPY_MARK.sub("", re.sub(r"^⟦\d+⟧\.\s*", "", text))
            j = self.pool.index.get(key)
            if j is None:  # the copy mark changed the chunking here: any pool vector will do
                self.stats["unmatched"] += 1
                j = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") % len(self.pool.texts)
                copy = True
            v = self.pool.vectors[j : j + 1]
            if copy:
                other = self.pool.vectors[rng.integers(0, len(self.pool.texts), 1)]
                v = copy_vectors(v, other, rng)
                self.stats["perturbed"] += 1
            else:
                self.stats["exact"] += 1
            out[i] = v[0] / np.linalg.norm(v[0])
        return out


def corpus_note(pool_file: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """How the corpus was built, with its numbers, for the report."""
    pool = Pool.load(pool_file)
    n = len(pool.texts)
    expanded = pool.expand(min(4 * n, n + 20000))
    cos_orig = float((expanded[n:] * np.tile(pool.vectors, (4, 1))[: len(expanded) - n]).sum(axis=1).mean())
    return {
        "pool_articles": plan["articles"],
        "pool_chunks": n,
        "how": (
            f"The first {plan['articles']} pooled RealTime QA 2022 articles (unique by url; seeded shuffle "
            f"{SEED} of url order) were ingested by our real pipeline with the {plan['embedder']} embedder, "
            f"giving {n} chunks with real vectors (copy 0). Larger corpora re-ingest the same articles through "
            "the same real ingest code (chunker, state DB, Chroma, BM25) as copies k=1,2,... with url "
            "'<url>#copy-k', the title suffixed ' ⟦k⟧' and a final paragraph '⟦k⟧' (so each copy is a distinct "
            "document); each copy chunk's vector is the real vector of the same chunk plus "
            f"{COPY_MIX} x the real vector of a random pool chunk plus Gaussian noise of norm ~{COPY_SIGMA}, "
            f"renormalised (cosine to the original {cos_orig:.2f} on average), because embedding a million "
            "chunks is not feasible on two cores. Questions are real RealTime QA questions embedded by the "
            "real model, asked as of their question date. The recall test adds the pool vectors and copies "
            "made the same way to a bare collection and compares Chroma's top 10 with the exact cosine top 10 "
            "for the same questions."
        ),
    }
