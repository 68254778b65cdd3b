"""How old are the articles an answer cites? For a run (`python cited_age.py RUN_DIR`): answers (not
abstentions) counted by whether every article they cite was published more than 30 days before the
question's as-of date ("old") or not ("fresh"), whether the question asks about recent days ("this week",
"recently", ...: bot/retrieve.py's `_RECENT`), and whether the answer is right (contains the gold)."""

import collections
import datetime as dt
import json
import sys

from bot.retrieve import _RECENT

counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
for line in open(f"{sys.argv[1]}/results.jsonl"):
    r = json.loads(line)
    if r["abstained"]:
        continue
    citations = r["citations"] if isinstance(r["citations"], list) else eval(r["citations"])  # noqa: S307 (our own report)
    as_of = dt.date.fromisoformat(r["as_of"])
    ages = [(as_of - dt.date.fromisoformat(c["published"][:10])).days for c in citations if c.get("published")]
    if not ages:
        continue
    counts[("old" if min(ages) > 30 else "fresh", "recent" if _RECENT.search(r["question"]) else "plain",
            "right" if r["scores"]["contains"] > 0 else "wrong")] += 1
for key, n in sorted(counts.items()):
    print(*key, n)
