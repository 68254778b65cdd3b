"""Greedy replies to the seed set's first questions over the shipped article, printed as JSON lines,
to compare two builds' wording: python compare_replies.py MODEL.gguf SEED.jsonl ARTICLE.md [N]"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import llama_cpp  # noqa: E402

model, seed, article = sys.argv[1:4]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 6
text = open(article, encoding="utf-8").read().split("---", 2)[2].strip()
llm = llama_cpp.Llama(model_path=model, n_ctx=4096, n_threads=2, n_threads_batch=2, seed=0, verbose=False)
for line in open(seed, encoding="utf-8").readlines()[:n]:
    q = json.loads(line)["question"]
    out = llm.create_chat_completion(messages=[
        {"role": "system", "content": "Answer from the passage only, citing it as [1]. Say you do not know when it does not say."},
        {"role": "user", "content": f"Passage [1]: {text}\n\nQuestion: {q}"}], max_tokens=48, temperature=0.0)
    print(json.dumps({"question": q, "reply": out["choices"][0]["message"]["content"]}), flush=True)
