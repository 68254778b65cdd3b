"""Offline: where the local model's checked answer and the extractive quote disagree, does a short
yes/no judgement by the same model pick the right one?  Usage: judge_pairs.py LOCAL_DIR EXTRACTIVE_DIR OUT"""
import json, re, sys, time
from judge_model import SYS, yes_score as _judge


def yes_score(q, s):
    return _judge(SYS, f"Question: {q}\nSentence: {s}\nDoes the sentence give the answer to the question? Reply yes or no.")


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
