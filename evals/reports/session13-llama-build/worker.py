"""One timed completion through whichever llama_cpp this interpreter imports; prints one JSON line.

Usage: python worker.py MODEL.gguf PROMPT.txt [--max-tokens N] [--threads N]
The context is cut to a fixed number of tokens so every build reads the same ~1,000-token prompt.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as bot/answer/llm_local.py runs it


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("prompt")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--context-tokens", type=int, default=940)
    args = ap.parse_args()

    import llama_cpp

    t0 = time.perf_counter()
    llm = llama_cpp.Llama(model_path=args.model, n_ctx=4096, n_threads=args.threads,
                          n_threads_batch=args.threads, seed=0, verbose=True)
    load_s = time.perf_counter() - t0
    text = open(args.prompt, encoding="utf-8").read()
    toks = llm.tokenize(text.encode(), add_bos=False, special=False)[: args.context_tokens]
    context = llm.detokenize(toks).decode("utf-8", errors="ignore")
    messages = [
        {"role": "system", "content": "Answer from the passages only, citing them as [n]."},
        {"role": "user", "content": f"Passages:\n{context}\n\nQuestion: Summarise what these passages report, "
                                    "passage by passage, in detail."},
    ]
    ctx = llm._ctx.ctx
    llama_cpp.llama_perf_context_reset(ctx)
    out = llm.create_chat_completion(messages=messages, max_tokens=args.max_tokens, temperature=0.0)
    perf = llama_cpp.llama_perf_context(ctx)
    reply = out["choices"][0]["message"]["content"] or ""
    print(json.dumps({
        "llama_cpp_version": llama_cpp.__version__,
        "system_info": llama_cpp.llama_print_system_info().decode(),
        "load_s": round(load_s, 2),
        "prompt_tokens": perf.n_p_eval, "prompt_ms": round(perf.t_p_eval_ms, 1),
        "gen_tokens": perf.n_eval, "gen_ms": round(perf.t_eval_ms, 1),
        "prompt_tps": round(perf.n_p_eval / perf.t_p_eval_ms * 1000, 2),
        "gen_tps": round(perf.n_eval / perf.t_eval_ms * 1000, 2) if perf.n_eval else 0.0,
        "reply_head": reply[:120],
    }), flush=True)
    return 0 if reply.strip() else 3


if __name__ == "__main__":
    sys.exit(main())
