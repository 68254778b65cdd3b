"""Offline: which answers of an earlier local run the rules of bot/answer/asked.py would change.

    python asked_offline.py RUN_FOLDER DATA_DIR [EXTRACTIVE_RUN_FOLDER]

RUN_FOLDER: an `eval run --answerer local` output (results.jsonl); DATA_DIR: the index it read (its
`retrieved` chunk ids are looked up in DATA_DIR/chroma for the passages' text); the optional extractive
run (same set, same code) gives the quote an answer without the value asked would give way to.
Prints, per question a rule touches: the rule, whether the question is answerable, and whether the
earlier answer was right (counts only: no question or answer text).
"""
import json
import re
import sys
from collections import Counter

import chromadb
from chromadb.config import Settings

from bot.answer.asked import asked_kind, gives_asked, unfound_names
from bot.schema import Passage


def texts(data_dir, ids):
    client = chromadb.PersistentClient(path=f"{data_dir}/chroma", settings=Settings(anonymized_telemetry=False))
    out = {}
    for c in client.list_collections():
        col = client.get_collection(getattr(c, "name", c))
        for i in range(0, len(ids), 500):
            got = col.get(ids=ids[i:i + 500], include=["documents"])
            out.update(zip(got["ids"], got["documents"]))
    return out


run, data_dir = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(f"{run}/results.jsonl")]
extractive = {}
if len(sys.argv) > 3:
    extractive = {r["id"]: r for r in map(json.loads, open(f"{sys.argv[3]}/results.jsonl"))}
chunk = texts(data_dir, sorted({i for r in rows for i in r["retrieved"]}))
tally = Counter()
for r in rows:
    q = r.get("standalone_query") or r["question"]
    right = "right before" if (r.get("scores") or {}).get("contains") else "wrong or abstained before"
    kind = "answerable" if r["answerable"] else "unanswerable"
    if unfound_names(q, [Passage(i, i, chunk.get(i, ""), i) for i in r["retrieved"]]):
        tally[("names not in passages", kind, right)] += 1
        continue
    check = r.get("check") or {}
    if r["abstained"] or check.get("fallback") or not asked_kind(q):
        continue
    if not gives_asked(re.sub(r"^As of [^,]+, ", "", r["answer"]), q):
        e = extractive.get(r["id"])
        to = "the quote" if e and not e["abstained"] and gives_asked(e["answer"], q, years=True) else "abstention"
        tally[(f"value not stated -> {to}", kind, right)] += 1
for key, n in sorted(tally.items()):
    print(" | ".join(key), "|", n)
