"""The int8 ONNX embedder: real export, real onnxruntime, compared with the fp32 torch model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.chunking import SentenceChunker
from bot.embed import MiniLMEmbedder, packaged_model_dir
from bot.embed_onnx import MiniLMInt8Embedder, ensure_int8_model, model_hash
from bot.errors import EmbedError

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = [
    "Who holds the Beijing Hyundai licence?",
    "The central bank raised interest rates by half a percentage point on Wednesday, its third increase this year.",
    "Flooding closed the coastal highway and forced thousands of residents to leave their homes.",
    "Shares of the carmaker fell 8 percent after it recalled 300,000 vehicles over a braking defect.",
    "A",
    "The prime minister said the talks would resume next week in Geneva, where negotiators had met twice before. "
    * 12,  # longer than 256 wordpieces: truncated like sentence-transformers does
]

_FIRST_USE = """
import json, logging, sys
from pathlib import Path
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from bot.embed_onnx import MiniLMInt8Embedder
embedder = MiniLMInt8Embedder(Path(sys.argv[1]))
vector = embedder.embed(["concurrent first use"])[0]
print(json.dumps({"path": str(embedder.model_path), "vector": vector.tolist()}))
"""


@pytest.fixture(scope="module")
def first_use(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[subprocess.CompletedProcess[str]]]:
    """Two processes use a fresh cache at the same moment: the export must happen once."""
    cache = tmp_path_factory.mktemp("models")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _FIRST_USE, str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return cache, done


@pytest.mark.slow
def test_concurrent_first_use_exports_once(
    first_use: tuple[Path, list[subprocess.CompletedProcess[str]]],
) -> None:
    cache, done = first_use
    for proc in done:
        assert proc.returncode == 0, proc.stderr
    results = [json.loads(proc.stdout) for proc in done]
    assert results[0]["path"] == results[1]["path"]
    np.testing.assert_allclose(results[0]["vector"], results[1]["vector"], atol=1e-6)
    logs = "".join(proc.stderr for proc in done)
    assert logs.count("exported the int8 ONNX model") == 1, logs
    assert sorted(p.name for p in cache.iterdir()) == [
        ".export.lock",
        f"minilm-int8-{model_hash()}.onnx",
    ]  # no temporary files left behind


@pytest.mark.slow
def test_second_construction_reuses_the_export(
    first_use: tuple[Path, list[subprocess.CompletedProcess[str]]],
) -> None:
    cache, _ = first_use
    model = cache / f"minilm-int8-{model_hash()}.onnx"
    before = model.stat()
    embedder = MiniLMInt8Embedder(cache)
    embedder.warm_up()
    after = model.stat()
    assert embedder.model_path == model
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
def test_int8_matches_fp32(first_use: tuple[Path, list[subprocess.CompletedProcess[str]]]) -> None:
    cache, _ = first_use
    int8 = MiniLMInt8Embedder(cache, batch_size=1)
    got = int8.embed(SENTENCES)
    want = MiniLMEmbedder().embed(SENTENCES)
    assert got.shape == (len(SENTENCES), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (got * want).sum(axis=1)
    assert cosines.min() >= 0.98, cosines
    assert cosines.mean() >= 0.99, cosines
    # One text per run: a text's vector does not depend on what it is embedded with.
    np.testing.assert_allclose(int8.embed(SENTENCES[::-1])[::-1], got, atol=1e-6)
    np.testing.assert_allclose(int8.embed(SENTENCES[2:3])[0], got[2], atol=1e-6)
    # Batched (padded, sorted by length) runs put every vector back in its row, close to fp32.
    batched = MiniLMInt8Embedder(cache, batch_size=4).embed(SENTENCES)
    assert (batched * want).sum(axis=1).min() >= 0.98
    assert list((batched @ got.T).argmax(axis=1)) == list(range(len(SENTENCES)))
    # Meaning survives quantisation: the nearest fp32 neighbour of each int8 vector is itself.
    assert list((got @ want.T).argmax(axis=1)) == list(range(len(SENTENCES)))


@pytest.mark.slow
def test_batched_vectors_stay_close_to_one_at_a_time(
    first_use: tuple[Path, list[subprocess.CompletedProcess[str]]],
) -> None:
    """batch_size > 1 (issue 28 point 5): a chunk's vector moves only a little with the texts it is
    batched with (per-tensor activation scales, other kernels), and stays nearest to its own text."""
    cache, _ = first_use
    chunker = SentenceChunker(max_tokens=160, overlap_sentences=1)
    article = (ROOT / "corpus" / "xiaomi-baic-ev-talks.md").read_text()
    texts = [c.text for c in chunker.chunk("doc", article)] + SENTENCES
    batched = MiniLMInt8Embedder(cache, batch_size=8)
    got = batched.embed(texts)
    alone = MiniLMInt8Embedder(cache, batch_size=1).embed(texts)
    cosines = (got * alone).sum(axis=1)
    assert cosines.min() >= 0.98 and cosines.mean() >= 0.99, cosines
    assert list((got @ alone.T).argmax(axis=1)) == list(range(len(texts)))
    # One text (a question) is a batch of one whatever batch_size is: the one-at-a-time vector.
    np.testing.assert_allclose(batched.embed(texts[:1])[0], alone[0], atol=1e-6)


@pytest.mark.slow
def test_sessions_side_by_side_give_each_text_its_own_vector(
    first_use: tuple[Path, list[subprocess.CompletedProcess[str]]],
) -> None:
    """threads > 1 runs batches on separate single-threaded sessions at once: every row gets the
    vector one session gives that text alone, whichever session ran it and in whatever order."""
    cache, _ = first_use
    chunker = SentenceChunker(max_tokens=160, overlap_sentences=1)
    article = (ROOT / "corpus" / "xiaomi-baic-ev-talks.md").read_text()
    texts = [c.text for c in chunker.chunk("doc", article)] + SENTENCES
    texts = texts + [t.upper() for t in texts]  # enough batches for both sessions to take several
    one = MiniLMInt8Embedder(cache, threads=1).embed(texts)
    side_by_side = MiniLMInt8Embedder(cache, threads=2)
    for _ in range(3):
        np.testing.assert_array_equal(side_by_side.embed(texts), one)
    assert side_by_side._pool is not None  # the side-by-side path ran, not the one-session loop
    np.testing.assert_array_equal(side_by_side.embed(texts[3:4])[0], one[3])


@pytest.mark.slow
def test_embed_empty_list(first_use: tuple[Path, list[subprocess.CompletedProcess[str]]]) -> None:
    cache, _ = first_use
    assert MiniLMInt8Embedder(cache).embed([]).shape == (0, 384)


def test_model_hash_depends_on_model_files(tmp_path: Path) -> None:
    fake = tmp_path / "model"
    fake.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (fake / name).write_text(name)
    first = model_hash(fake)
    assert model_hash(fake) == first and len(first) == 16
    (fake / "model.safetensors").write_text("other weights")
    assert model_hash(fake) != first
    assert model_hash() != first and model_hash() == model_hash(packaged_model_dir())


@pytest.mark.slow
def test_failed_export_raises_embed_error_and_leaves_no_file(tmp_path: Path) -> None:
    broken = tmp_path / "model"
    broken.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (broken / name).write_text("not a model")
    cache = tmp_path / "models"
    with pytest.raises(EmbedError, match=r"could not export the int8 ONNX model to .*minilm-int8-"):
        ensure_int8_model(cache, broken)
    assert [p.name for p in cache.iterdir()] == [".export.lock"]


def test_unwritable_cache_dir_raises_embed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data dir should be")
    with pytest.raises(EmbedError, match=r"cannot write the int8 ONNX model under .*data/models"):
        MiniLMInt8Embedder(blocker / "models").embed(["anything"])
