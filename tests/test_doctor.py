"""`newsbot doctor`: a real index (state DB, embedded Chroma, BM25) on tmp_path, broken in each way
the doctor checks (vectors deleted from Chroma directly, an orphan, BM25 corrupted or deleted, an
HNSW file deleted, HNSW files grown absurdly), then checked and repaired, in process and through a
real `newsbot doctor` subprocess."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import chromadb
import chromadb.config
import numpy as np
import pytest

from bot.doctor import absurd_bytes, check, repair
from bot.embed import Embedder, HashEmbedder, MiniLMEmbedder
from bot.errors import IndexBusyError
from bot.ingest import ingest_lock
from bot.pipeline import Pipeline
from bot.schema import Article
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def articles(n: int, sentences: int = 30) -> list[Article]:
    return [Article(text=" ".join(f"Story {i} tells how the harbour council voted on plan {i} in round {k}."
                                  for k in range(sentences)),
                    title=f"Story {i}", url=f"https://news.example/{i}") for i in range(n)]


def build(tmp_path: Path, embedder: Embedder, n: int = 6, sentences: int = 30, shard_chunks: int = 8) -> Pipeline:
    pipeline = Pipeline(Settings(data_dir=tmp_path / "data", chroma_shard_chunks=shard_chunks), embedder=embedder)
    report = pipeline.ingest_articles(articles(n, sentences))
    assert report.added == n
    return pipeline


def collection(pipeline: Pipeline, shard: int) -> chromadb.Collection:
    """The shard's collection, opened with chromadb itself (not through newsbot)."""
    client = chromadb.PersistentClient(path=str(pipeline.settings.data_dir / "chroma"),
                                       settings=chromadb.config.Settings(anonymized_telemetry=False))
    name = pipeline.store.collection_name + (f"-s{shard}" if shard else "")
    return client.get_collection(name)


def hnsw_dir(pipeline: Pipeline, shard: int) -> Path:
    folder = pipeline.settings.data_dir / "chroma"
    name = pipeline.store.collection_name + (f"-s{shard}" if shard else "")
    con = sqlite3.connect(folder / "chroma.sqlite3")
    [(segment,)] = con.execute("SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
                               "WHERE c.name = ? AND s.scope = 'VECTOR'", (name,)).fetchall()
    con.close()
    return folder / segment


def a_doc(pipeline: Pipeline) -> tuple[str, list[str]]:
    chunk_ids = sorted(pipeline.state.all_chunk_ids())
    doc = chunk_ids[0].rsplit(":", 1)[0]
    return doc, [c for c in chunk_ids if c.startswith(doc + ":")]


def shard_of(pipeline: Pipeline, chunk_id: str) -> int:
    for shard in pipeline.store.shards():
        if chunk_id in pipeline.store.shard_ids(shard):
            return shard
    raise AssertionError(chunk_id)


def test_a_healthy_index_has_no_problems(tmp_path: Path) -> None:
    pipeline = build(tmp_path, HashEmbedder())
    diag = check(pipeline)
    assert diag.healthy and diag.problems == []
    assert diag.documents == 6 and diag.chunks == diag.vectors == diag.bm25_chunks == pipeline.state.counts()["chunks"]
    done, again = repair(pipeline)
    assert done == [] and again.healthy


def test_vectors_deleted_from_chroma_are_named_and_re_embedded(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    pipeline = build(tmp_path, embedder)
    doc, chunks = a_doc(pipeline)
    collection(pipeline, shard_of(pipeline, chunks[1])).delete(ids=[chunks[1]])
    diag = check(pipeline)
    assert [str(p) for p in diag.problems] == [
        f"missing: document {doc}: 1 of its {len(chunks)} chunks are missing from Chroma"]
    done, after = repair(pipeline)
    assert after.healthy, after.problems
    assert f"re-embedded document {doc} ({len(chunks)} chunks)" in done
    text = pipeline.state.passages([chunks[1]])[chunks[1]].text
    found = pipeline.store.search(embedder.embed([f"Story {text}"])[0], 50)
    assert chunks[1] in {c for c, _ in found}


def test_an_orphan_and_unknown_chunks_are_deleted(tmp_path: Path) -> None:
    pipeline = build(tmp_path, HashEmbedder())
    doc, chunks = a_doc(pipeline)
    col = collection(pipeline, shard_of(pipeline, chunks[0]))
    vec = np.ones((2, pipeline.embedder.dim), dtype=np.float32)
    col.add(ids=["0rphan0000000000000000aa:0", f"{doc}:99"], embeddings=vec, documents=["gone", "extra"],
            metadatas=[{"doc_id": "0rphan0000000000000000aa"}, {"doc_id": doc}])
    diag = check(pipeline)
    assert sorted(str(p) for p in diag.problems) == sorted([
        "orphan: document 0rphan0000000000000000aa: 1 vectors in Chroma with no done document",
        f"extra: document {doc}: Chroma holds 1 chunks of it that the state does not know "
        f"({len(chunks) + 1} in Chroma, {len(chunks)} in the state)",
    ])
    done, after = repair(pipeline)
    assert after.healthy, after.problems
    assert "deleted 1 orphan vectors of document 0rphan0000000000000000aa" in done
    assert after.vectors == pipeline.state.counts()["chunks"]


@pytest.mark.parametrize("damage", ["manifest", "deleted", "segment", "generation"])
def test_a_broken_bm25_index_is_found_and_rebuilt(tmp_path: Path, damage: str) -> None:
    pipeline = build(tmp_path, HashEmbedder())
    folder = pipeline.lexical.folder
    if damage == "manifest":
        (folder / "MANIFEST").write_text("{not json")
    elif damage == "deleted":
        shutil.rmtree(folder)
    elif damage == "segment":
        seg = next(p for p in folder.iterdir() if p.is_dir())
        (seg / "rows.npy").write_bytes(b"\x93NUMPY broken")
    else:
        manifest = json.loads((folder / "MANIFEST").read_text())
        manifest["generation"] -= 1
        manifest["n_live"] -= 1
        (folder / "MANIFEST").write_text(json.dumps(manifest))
    diag = check(pipeline)
    kinds = diag.kinds()
    if damage == "generation":
        assert {"bm25_generation", "bm25_size"} <= kinds
    else:
        assert kinds == {"bm25_unreadable"} and "is missing or unreadable" in str(diag.problems[0])
    done, after = repair(pipeline)
    assert after.healthy, after.problems
    assert any(line.startswith("rebuilt the BM25 index") for line in done)
    fresh = Pipeline(pipeline.settings, embedder=pipeline.embedder)
    assert fresh.lexical.load() and fresh.lexical.search("harbour council plan", 3)


NEW_PROCESS = """
import json, sys
from pathlib import Path
from bot.doctor import check, repair
from bot.embed import HashEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings
pipeline = Pipeline(Settings(data_dir=Path(sys.argv[1]), chroma_shard_chunks=int(sys.argv[2])), embedder=HashEmbedder())
done, diag = repair(pipeline) if sys.argv[3] == "repair" else ([], check(pipeline))
print(json.dumps({**diag.to_json(), "done": done}))
"""


def in_a_new_process(pipeline: Pipeline, action: str) -> dict[str, Any]:
    """check or repair in a fresh process (this one's Chroma keeps the HNSW index it loaded in memory)."""
    s = pipeline.settings
    proc = subprocess.run([sys.executable, "-c", NEW_PROCESS, str(s.data_dir), str(s.chroma_shard_chunks), action],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


@pytest.mark.slow
def test_an_hnsw_file_deleted_makes_its_shard_fail_to_load_and_repair_rebuilds_it(tmp_path: Path) -> None:
    # Chroma writes a shard's HNSW files once it holds 1,000 vectors; a smaller shard is kept in its log.
    pipeline = build(tmp_path, HashEmbedder(), n=1100, sentences=1, shard_chunks=1050)
    (hnsw_dir(pipeline, 0) / "data_level0.bin").unlink()
    diag = in_a_new_process(pipeline, "check")
    [unreadable] = [p for p in diag["problems"] if p["kind"] == "shard_unreadable"]
    assert unreadable["shard"] == 0 and "fails to load" in unreadable["detail"] and "hnsw" in unreadable["detail"].lower()
    assert {p["kind"] for p in diag["problems"]} == {"shard_unreadable", "missing"}
    assert sum(p["kind"] == "missing" and bool(p["doc_id"]) for p in diag["problems"]) == 1050  # each document named
    after = in_a_new_process(pipeline, "repair")
    assert after["healthy"], after["problems"][:3]
    assert after["done"][0].startswith("deleted shard 0 (") and after["vectors"] == 1100
    assert in_a_new_process(pipeline, "check")["healthy"]


def test_absurdly_large_hnsw_files_are_reported_and_the_shard_rebuilt(tmp_path: Path) -> None:
    pipeline = build(tmp_path, HashEmbedder())
    links = hnsw_dir(pipeline, 1) / "link_lists.bin"
    count = len(pipeline.store.shard_ids(1))
    os.truncate(links, absurd_bytes(count) + 1)  # sparse: it costs no disk
    diag = check(pipeline)
    [big] = diag.problems
    assert big.kind == "shard_oversized" and big.shard == 1 and f"holds {count} chunks in" in str(big)
    done, after = repair(pipeline)
    assert after.healthy, after.problems
    assert after.vectors == pipeline.state.counts()["chunks"] and done[0].startswith("deleted shard 1 (")


def test_an_interrupted_ingest_is_reported_and_finished(tmp_path: Path) -> None:
    pipeline = build(tmp_path, HashEmbedder())
    doc, _ = a_doc(pipeline)
    with pipeline.state.tx() as con:
        pipeline.state.journal(con, [doc], "del")
    assert [str(p) for p in check(pipeline).problems] == [
        f"interrupted: document {doc}: an interrupted ingest left a 'del' in flight"]
    done, after = repair(pipeline)
    assert after.healthy and after.documents == 5 and done[0].startswith("finished the interrupted ingest")


def test_doctor_waits_for_no_ingest(tmp_path: Path) -> None:
    pipeline = build(tmp_path, HashEmbedder(), n=1)
    with ingest_lock(pipeline.settings.data_dir), pytest.raises(IndexBusyError, match="another newsbot ingest"):
        check(pipeline)


@pytest.mark.slow
def test_newsbot_doctor_command_reports_repairs_and_exits_0_1_0(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    """The real command on an index built with the embedder the subprocess uses (conftest's minilm)."""
    assert os.environ.get("NEWSBOT_EMBEDDER") == "minilm"
    pipeline = build(tmp_path, minilm, n=4, sentences=10)
    doc, chunks = a_doc(pipeline)
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(pipeline.settings.data_dir), "NEWSBOT_CHROMA_SHARD_CHUNKS": "8"}

    def doctor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot.cli", "doctor", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    healthy = doctor()
    assert healthy.returncode == 0, healthy.stderr
    assert healthy.stdout.startswith("healthy: 4 documents")
    collection(pipeline, shard_of(pipeline, chunks[0])).delete(ids=chunks)
    shutil.rmtree(pipeline.lexical.folder)
    sick = doctor()
    assert sick.returncode == 1, sick.stderr
    assert f"missing: document {doc}: {len(chunks)} of its {len(chunks)} chunks are missing from Chroma" in sick.stdout
    assert "bm25_unreadable: the BM25 index in" in sick.stdout
    assert sick.stdout.rstrip().endswith("`newsbot doctor --repair` fixes them")
    fixed = doctor("--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"repaired: re-embedded document {doc} ({len(chunks)} chunks)" in fixed.stdout
    assert "repaired: rebuilt the BM25 index" in fixed.stdout and "\nhealthy: 4 documents" in fixed.stdout
    again = doctor("--json")
    assert again.returncode == 0 and json.loads(again.stdout)["healthy"] is True
