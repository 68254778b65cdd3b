"""Offline: where the local model's checked answer and the extractive quote disagree, does a short
yes/no judgement by the same model pick the right one?  Usage: judge.py LOCAL_DIR EXTRACTIVE_DIR OUT"""
import json, re, sys, time
import numpy as np
import llama_cpp
sys.path.insert(0, "/work/main")

MODEL = "/tmp/s18/sets-data-after/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
llm = llama_cpp.Llama(model_path=MODEL, n_ctx=2048, n_threads=2, n_threads_batch=2, verbose=False)
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
tmpl = llm.metadata["tokenizer.chat_template"]
fmt = Jinja2ChatFormatter(template=tmpl, eos_token=llm._model.token_get_text(llm.token_eos()), bos_token="")
def toks(msgs):
    r = fmt(messages=msgs)
    return list(llm.tokenize(r.prompt.encode(), add_bos=not r.added_special, special=True))
YES = [llm.tokenize(w.encode(), add_bos=False)[0] for w in ("Yes", "yes", " Yes")]
NO = [llm.tokenize(w.encode(), add_bos=False)[0] for w in ("No", "no", " No")]
import os
from bot.answer.prompting import SYSTEM_PROMPT
SYS = SYSTEM_PROMPT if os.environ.get("JSYS") == "answer" else "You check whether a sentence from a news article answers a question. Reply yes or no."
def yes_score(q, s):
    t = toks([{"role": "system", "content": SYS},
              {"role": "user", "content": f"Question: {q}\nSentence: {s}\nDoes the sentence give the answer to the question? Reply yes or no."}])
    # reuse the matching prefix
    k = 0
    ids = llm.input_ids[: llm.n_tokens].tolist()
    while k < min(len(ids), len(t) - 1) and ids[k] == t[k]:
        k += 1
    llm.n_tokens = k
    llm.eval(t[k:])
    lg = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm._n_vocab,)).astype(np.float64)
    lg = lg - lg.max(); p = np.exp(lg); p /= p.sum()
    y, n = p[YES].sum(), p[NO].sum()
    return float(np.log(y + 1e-9) - np.log(n + 1e-9)), len(t) - k
MARK = re.compile(r"\s*\[\d+\]")
def key(d): return (d["case"], d["turn"])
loc = {key(d): d for d in map(json.loads, open(sys.argv[1] + "/results.jsonl"))}
ext = {key(d): d for d in map(json.loads, open(sys.argv[2] + "/results.jsonl"))}
out = open(sys.argv[3], "w")
for k, L in loc.items():
    E = ext.get(k)
    if E is None or L.get("error"): continue
    ch = L.get("check") or {}
    rec = dict(k=k, q=L["question"], answerable=L["answerable"], gold=L["gold"], lc=L["scores"].get("contains"), ec=E["scores"].get("contains"),
               local=L["answer"], ext=E["answer"], fallback=bool(ch.get("fallback")), labst=L["abstained"], eabst=E["abstained"])
    lq = {c["quote"] for c in L["citations"]}; eq = {c["quote"] for c in E["citations"]}
    rec["agree"] = bool(lq & eq) or L["answer"] == E["answer"]
    if not rec["agree"] and not L["abstained"] and not E["abstained"] and not rec["fallback"]:
        t0 = time.time()
        ls, n1 = yes_score(L["standalone_query"], MARK.sub("", L["answer"]))
        es, n2 = yes_score(L["standalone_query"], MARK.sub("", E["answer"]))
        rec.update(ls=ls, es=es, tok=n1 + n2, s=round(time.time() - t0, 2))
    out.write(json.dumps(rec) + "\n"); out.flush()
