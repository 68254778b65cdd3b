"""Before/after rows per set from local.sh's run folders, and the questions whose answer changed.

    python table.py /tmp/s15/runs seed rtqa2025 mh rgb rtqa2022

Both runs are rescored with the after tree's `contains` (bot/evaluation/metrics.py: a yes/no gold is met
by the answer's verdict word alone), beside each run's own figure, so the rows compare like for like.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from before_after import fmt as f, load as _load, outcome, print_change_counts, right  # noqa: E402  (the shared report helpers)


def load(folder):
    return _load(Path(folder))


def why(x):
    chk = x.get("check") or {}
    if chk.get("unfound_names"):
        return "name not in passages"
    if chk.get("not_asked"):
        return f"not asked ({chk['not_asked'].get('kind')})"
    if chk.get("fallback"):
        return "fallback to the quote"
    return "model's checked answer"


runs, sets = sys.argv[1], sys.argv[2:]
print("| set | run | n | contains (own metric) | contains (verdict metric) | cit. prec. | abst. P / R | abstained on answerable | answer p50 / p95 s | prompt tokens | model calls |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
changes = []
for s in sets:
    pair = {}
    for tag in ("before", "after"):
        d = os.path.join(runs, f"{tag}-{s}")
        try:
            r, recs = load(d)
        except OSError:
            print(f"| {s} | {tag} | missing |")
            continue
        pair[tag] = recs
        m = r["extra"].get("model") or {}
        lat = r["latency_ms"]
        answerable = [x for x in recs.values() if x["answerable"]]
        rescored = sum(right(x) for x in answerable) / len(answerable) if answerable else None
        abst_ans = sum(1 for x in answerable if x["abstained"])
        ab = r.get("abstention") or {}
        print(f"| {s} | {tag} | {r['n']} | {f(r['answer']['contains'])} | {f(rescored)} | {f((r.get('citations') or {}).get('precision'))} | "
              f"{f(ab.get('precision'))} / {f(ab.get('recall'))} | {abst_ans} | {lat['answer_p50'] / 1000:.1f} / {lat['answer_p95'] / 1000:.1f} | "
              f"{f(m.get('prompt_tokens_mean'))} | {m.get('answers', '–')} |")
    if len(pair) == 2:
        for i, a in pair["after"].items():
            b = pair["before"].get(i)
            if b and b["answer"] != a["answer"]:
                changes.append((s, i, outcome(b, a), why(a), a["answerable"], b["answer"][:80], a["answer"][:80]))
# Answers that changed: counted per set, path and outcome; the wording only for the team's own seed set
# (the external sets' questions and articles stay out of the repository).
print()
print_change_counts(changes)
print()
print("| seed question | change | path | answerable | before | after |")
print("|---|---|---|---|---|---|")
for c in changes:
    if c[0] == "seed":
        print("| " + " | ".join(str(x).replace("|", "/") for x in c[1:]) + " |")
