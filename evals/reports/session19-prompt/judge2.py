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
PROMPT = os.environ.get("JPROMPT", "Sentence from a news article: {quote}\nQuestion: {q}\nProposed answer: {a}\nAccording to the sentence, is the proposed answer a correct answer to the question? Reply yes or no.")
SYS = SYSTEM_PROMPT if os.environ.get("JSYS") == "answer" else "You check whether a sentence from a news article answers a question. Reply yes or no."
def yes_score(q, s, quote=None):
    t = toks([{"role": "system", "content": SYS},
              {"role": "user", "content": PROMPT.format(q=q, a=s, quote=quote)}])
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
ASOF = re.compile(r"^As of [^,]+, ")
out = open(sys.argv[2], "w")
exts = {}
if len(sys.argv) > 3:
    exts = {(d["case"], d["turn"]): d for d in map(json.loads, open(sys.argv[3] + "/results.jsonl"))}
for L in map(json.loads, open(sys.argv[1] + "/results.jsonl")):
    ch = L.get("check") or {}
    if L.get("error") or L["abstained"] or ch.get("fallback") or not L["citations"] or L.get("temporal") in ("disagreement","newest","list","timeline"): continue
    quote = " ".join(c["quote"] for c in L["citations"][:2])
    a = ASOF.sub("", MARK.sub("", L["answer"])).strip()
    t0 = time.time()
    sc, n = yes_score(L["standalone_query"], a, quote)
    E = exts.get((L["case"], L["turn"]))
    out.write(json.dumps(dict(q=L["standalone_query"], answerable=L["answerable"], lc=L["scores"].get("contains"), ec=E and E["scores"].get("contains"), eab=E and E["abstained"], sc=sc, tok=n, s=round(time.time()-t0,2), a=a[:120])) + "\n"); out.flush()
