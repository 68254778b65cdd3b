"""Embedding throughput of the int8 MiniLM under onnxruntime threading layouts (chunks/s)."""
import gzip, json, sys, time, os
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer
from bot.embed import packaged_model_dir, MAX_WORDPIECES
from bot.embed_onnx import ensure_int8_model
from pathlib import Path

texts = []
for line in gzip.open("/work/shared/evaldata/realtimeqa-2022/articles/20220617_gcs.jsonl.gz"):
    for r in json.loads(line)["search_result"]:
        words = r["text"].split()
        for i in range(0, len(words), 110):
            texts.append(" ".join(words[i:i + 120]))
    if len(texts) > 600: break
texts = texts[:600]
md = packaged_model_dir()
path = ensure_int8_model(Path(os.path.expanduser("~/.cache/newsbot")) / "onnx-s18", md)
tok = Tokenizer.from_file(str(md / "tokenizer.json")); tok.enable_truncation(max_length=MAX_WORDPIECES); tok.no_padding()
def session(threads):
    o = ort.SessionOptions(); o.intra_op_num_threads = threads; o.inter_op_num_threads = 1
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])
enc = tok.encode_batch(texts)
lens = np.array([len(e.ids) for e in enc]); order = np.argsort(lens, kind="stable")
print("texts", len(texts), "mean wordpieces", lens.mean())
def run(sess, rows):
    w = int(lens[rows].max()); ids = np.zeros((len(rows), w), np.int64); m = np.zeros_like(ids)
    for r, i in enumerate(rows):
        ids[r, :lens[i]] = enc[i].ids; m[r, :lens[i]] = 1
    return sess.run(None, {"input_ids": ids, "attention_mask": m, "token_type_ids": np.zeros_like(ids)})[0]
def layout(threads, sessions, batch):
    ss = [session(threads) for _ in range(sessions)]
    batches = [order[s:s + batch] for s in range(0, len(order), batch)]
    t = time.time()
    if sessions == 1:
        for b in batches: run(ss[0], b)
    else:
        parts = [batches[k::sessions] for k in range(sessions)]
        with ThreadPoolExecutor(sessions) as ex:
            list(ex.map(lambda k: [run(ss[k], b) for b in parts[k]], range(sessions)))
    return len(texts) / (time.time() - t)
for cfg in [(2, 1, 1), (1, 2, 1), (2, 1, 8), (1, 2, 8), (2, 1, 1), (1, 2, 1)]:
    print(cfg, "threads/sessions/batch", round(layout(*cfg), 1), "chunks/s", flush=True)
