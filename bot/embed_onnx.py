"""Text -> vectors with an int8 ONNX export of the packaged MiniLM, run by onnxruntime.

The export (torch.onnx of the BertModel, then dynamic int8 quantisation of its MatMuls) happens once,
offline, into ``<cache_dir>/minilm-int8-<hash>.onnx``; the hash covers the model files and the recipe,
so a new model or recipe gets a new file and old vectors are never mixed with new ones. It runs in a
child process so that the serving process never loads torch.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bot.embed import MAX_WORDPIECES, packaged_model_dir
from bot.errors import EmbedError

# Bump when the export or quantisation recipe changes: it is part of the cache file's name.
RECIPE = "torch-onnx-opset17-eager/quantize_dynamic-qint8-per_channel-MatMul/v1"
_MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json")
# Texts per onnxruntime run. Ingest of 64 RealTime QA articles (977 chunks, ~150 wordpieces each) on
# 2 shared cores of a Xeon with AVX-512 VNNI and AMX (issue 28 point 5): batch 1 and 8 embed ~52 chunks/s,
# batch 32 33 chunks/s (probably: a 150-token text already fills the int8 GEMMs, and a batch's
# activations outgrow the cache). Dynamic quantisation also scales activations per tensor, so a batch
# mixes its texts' vectors a little.
BATCH_SIZE = 1
# One single-threaded session per core, each embedding its own texts, beat one session running each
# text on both cores: 600 RealTime QA chunks of ~150 wordpieces on 2 cores of an AMD EPYC (family 25,
# AVX2), batch 1, 46-53 chunks/s against 37-38 (the intra-op threads of a ~150-token run wait on
# each other more than they compute).
log = logging.getLogger(__name__)


def model_hash(model_dir: Path | None = None) -> str:
    """Short hash of the packaged model's files and the export recipe."""
    model_dir = model_dir or packaged_model_dir()
    digest = hashlib.sha256(RECIPE.encode())
    for name in _MODEL_FILES:
        digest.update(name.encode())
        with open(model_dir / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on path (blocks until free)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+b")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as exc:
        raise EmbedError(f"cannot write the int8 ONNX model under {path.parent}: {exc}") from exc
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def export_int8(model_dir: Path, out_path: Path) -> None:
    """Export the BertModel to ONNX and quantise its MatMul weights to int8 (per channel) at out_path."""
    import warnings

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    warnings.filterwarnings("ignore")
    # Eager attention exports to plain MatMul/Softmax, which quantises and runs faster than SDPA here.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                _Hidden(model),
                dummy,
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        int8 = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            str(fp32),
            str(int8),
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=False,
            weight_type=QuantType.QInt8,
        )
        onnx.checker.check_model(str(int8))
        os.replace(int8, out_path)


def ensure_int8_model(cache_dir: Path, model_dir: Path | None = None) -> Path:
    """Path of the int8 model under cache_dir, exporting it first (once, under a lock) if missing."""
    model_dir = model_dir or packaged_model_dir()
    path = cache_dir / f"minilm-int8-{model_hash(model_dir)}.onnx"
    if path.exists():
        return path
    with _file_lock(cache_dir / ".export.lock"):
        if path.exists():  # another process exported it while we waited
            return path
        log.info("exporting the int8 ONNX model to %s (once; about a minute)", path)
        cmd = [sys.executable, "-m", "bot.embed_onnx", "--model-dir", str(model_dir), str(path)]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0 or not path.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise EmbedError(
                f"could not export the int8 ONNX model to {path}: " + " | ".join(tail)
            )
        log.info("exported the int8 ONNX model to %s", path)
    return path


class MiniLMInt8Embedder:
    """all-MiniLM-L6-v2 quantised to int8 and run by onnxruntime; loaded (and exported) on first use.

    batch_size defaults to 1 (BATCH_SIZE): one text per run needs no padding and gives a vector that
    depends on the text alone; larger batches (sorted by length) are supported but measured no faster
    on 2 cores, 40% slower at 32 (BATCH_SIZE's comment), and their vectors move a little with the
    texts they are batched with (cosine about 0.99, tests/test_embed_onnx.py).

    `threads` onnxruntime sessions of one thread each run the batches side by side (a text's batch is
    never split), instead of one session splitting each small run over `threads` threads: on 2 cores
    of an AMD EPYC (AVX2) that embedded 1.3-1.4x the chunks per second (the comment under
    BATCH_SIZE). One batch (a question) runs on one session in the caller's thread.
    """

    name = "minilm-int8"
    dim = 384

    def __init__(self, cache_dir: Path, batch_size: int = BATCH_SIZE, threads: int = 2) -> None:
        self.cache_dir = Path(cache_dir)
        self.batch_size = batch_size
        self.threads = threads
        self.model_path: Path | None = None
        self._sessions: queue.SimpleQueue[Any] | None = None  # idle sessions, one per thread
        self._pool: ThreadPoolExecutor | None = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Export the model if needed and open the onnxruntime session now."""
        with self._lock:
            if self._sessions is not None:
                return
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            model_dir = packaged_model_dir()
            path = ensure_int8_model(self.cache_dir, model_dir)
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=MAX_WORDPIECES)
                tokenizer.no_padding()
                options = ort.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                # Spinning threads burn the core that parsing and Chroma need; measured slower here.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                sessions: queue.SimpleQueue[Any] = queue.SimpleQueue()
                for _ in range(max(1, self.threads)):
                    sessions.put(ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]))
            except Exception as exc:  # noqa: BLE001 - any load failure is an EmbedError
                raise EmbedError(f"could not load the int8 ONNX model {path}: {exc}") from exc
            if self.threads > 1:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="minilm-int8")
            self._tokenizer, self._sessions, self.model_path = tokenizer, sessions, path

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts -> array (len(texts), 384) float32, unit norm, mean pooling over the attention
        mask; batches of similar length, run side by side on the sessions. Raises EmbedError."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self.warm_up()
        sessions = self._sessions
        assert sessions is not None  # warm_up opened them or raised
        try:
            encodings = self._tokenizer.encode_batch(list(texts))
            lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64)
            order = np.argsort(lengths, kind="stable")  # similar lengths together: little padding
            batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

            def run(rows: np.ndarray) -> None:
                width = int(lengths[rows].max())
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                for r, i in enumerate(rows):
                    n = int(lengths[i])
                    ids[r, :n] = encodings[i].ids
                    mask[r, :n] = 1
                session = sessions.get()  # an idle one: each runs one batch at a time
                try:
                    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                    hidden = session.run(None, feed)[0]
                finally:
                    sessions.put(session)
                weights = mask[:, :, None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
                norms = np.linalg.norm(pooled, axis=1, keepdims=True)
                out[rows] = pooled / np.maximum(norms, 1e-12)

            if self._pool is None or len(batches) == 1:
                for rows in batches:
                    run(rows)
            else:
                list(self._pool.map(run, batches))  # waits for all; re-raises the first failure
        except Exception as exc:  # noqa: BLE001 - onnxruntime/tokenizers errors become EmbedError
            raise EmbedError(f"int8 ONNX embedding failed: {exc}") from exc
        return out


def main(argv: Sequence[str] | None = None) -> int:
    """Export the int8 model: ``python -m bot.embed_onnx OUT.onnx`` or ``--cache-dir DIR``."""
    parser = argparse.ArgumentParser(prog="python -m bot.embed_onnx", description=main.__doc__)
    parser.add_argument("out", nargs="?", type=Path, help="write the int8 model to this file")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=None, help="export into DIR (cached)")
    args = parser.parse_args(argv)
    model_dir = args.model_dir or packaged_model_dir()
    if args.cache_dir is not None:
        print(ensure_int8_model(args.cache_dir, model_dir))
        return 0
    if args.out is None:
        parser.error("give OUT or --cache-dir")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export_int8(model_dir, args.out)
    print(json.dumps({"exported": str(args.out), "bytes": args.out.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
