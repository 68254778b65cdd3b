"""Offline: the local model judges each checked answer of a finished run against the sentence it cites
(P(True) self-evaluation). Usage: judge2.py LOCAL_DIR OUT [EXTRACTIVE_DIR]"""
import json, os, re, sys, time
from judge_model import SYS, yes_score

PROMPT = os.environ.get("JPROMPT", "Sentence from a news article: {quote}\nQuestion: {q}\nProposed answer: {a}\nAccording to the sentence, is the proposed answer a correct answer to the question? Reply yes or no.")
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
    sc, n = yes_score(SYS, PROMPT.format(q=L["standalone_query"], a=a, quote=quote))
    E = exts.get((L["case"], L["turn"]))
    out.write(json.dumps(dict(q=L["standalone_query"], answerable=L["answerable"], lc=L["scores"].get("contains"), ec=E and E["scores"].get("contains"), eab=E and E["abstained"], sc=sc, tok=n, s=round(time.time()-t0,2), a=a[:120])) + "\n"); out.flush()
