"""What retrieval could find at most: for each question of a RealTime QA run, whether its gold answer's
text is in the question's own search results, and in any chunk of the pooled index.

    python ceiling.py RUN_DIR INDEX_DIR DATASET_DIR

RUN_DIR: an `newsbot eval run` report folder (its results.jsonl); INDEX_DIR: the run's index folder
(`<data dir>/eval/<dataset>-<hash>`, whose state.db holds the chunks); DATASET_DIR: the RealTime QA
folder (questions/, articles/). Gold and texts are compared as the harness's `contains` compares them
(SQuAD normalisation). Also: in any pooled article published 0-7 and 0-30 days before the question's
as-of date. Prints counts; copies no dataset text anywhere.
"""

import datetime as dt
import glob
import gzip
import json
import re
import sqlite3
import string
import sys


def norm(s: str) -> str:
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def main(run: str, index: str, dataset: str) -> None:
    results = [json.loads(line) for line in open(f"{run}/results.jsonl")]
    own: dict[str, list[str]] = {}
    for f in glob.glob(f"{dataset}/articles/*_gcs.jsonl.gz"):
        for line in gzip.open(f, "rt"):
            d = json.loads(line)
            own[d["question_id"]] = [norm(a.get("text") or "") for a in d["search_result"]]
    db = sqlite3.connect(f"{index}/state.db")
    pooled = "\n".join(norm(t) for (t,) in db.execute("select text from chunks"))
    texts: dict[str, list[str]] = {}
    for doc, text in db.execute("select doc_id, text from chunks"):
        texts.setdefault(doc, []).append(norm(text))
    dated = [(d, dt.date.fromisoformat(p[:10])) for d, p in db.execute("select doc_id, published from docs where published is not null")]
    n = len(results)
    in_own = sum(any(norm(r["gold"][0]) in t for t in own.get(r["id"], [])) for r in results)
    in_pool = sum(norm(r["gold"][0]) in pooled for r in results)
    ranked = sum(r["scores"]["rank"] is not None for r in results)
    print(f"questions {n}; gold in own search results {in_own} ({in_own / n:.3f}); "
          f"in any pooled chunk {in_pool} ({in_pool / n:.3f}); in the top 10 retrieved {ranked} ({ranked / n:.3f})")
    for days in (7, 30):
        fresh = 0
        for r in results:
            as_of, gold = dt.date.fromisoformat(r["as_of"]), norm(r["gold"][0])
            fresh += any(0 <= (as_of - p).days <= days and any(gold in t for t in texts[d]) for d, p in dated)
        print(f"gold in a pooled article published 0-{days} days before the as-of date: {fresh} ({fresh / n:.3f})")


if __name__ == "__main__":
    main(*sys.argv[1:4])
