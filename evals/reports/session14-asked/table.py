"""Before/after rows per set from local.sh's run folders, and the questions whose answer changed.

    python table.py /tmp/s14/runs seed rtqa2025 mh rgb rtqa2022
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from before_after import fmt as f, load as _load  # noqa: E402  (the shared report helpers)


def load(folder):
    return _load(Path(folder))


def right(x):
    return bool((x.get("scores") or {}).get("contains"))


runs, sets = sys.argv[1], sys.argv[2:]
print("| set | run | n | contains | cit. prec. | abst. P / R | abstained on answerable | names not in passages | value not stated | answer p50 / p95 s | prompt tokens | model calls |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
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
        chk = r["extra"].get("check") or {}
        m = r["extra"].get("model") or {}
        lat = r["latency_ms"]
        abst_ans = sum(1 for x in recs.values() if x["abstained"] and x["answerable"])
        ab = r.get("abstention") or {}
        print(f"| {s} | {tag} | {r['n']} | {f(r['answer']['contains'])} | {f((r.get('citations') or {}).get('precision'))} | "
              f"{f(ab.get('precision'))} / {f(ab.get('recall'))} | {abst_ans} | {chk.get('names_not_in_passages', '–')} | "
              f"{chk.get('value_asked_not_stated', '–')} | {lat['answer_p50'] / 1000:.1f} / {lat['answer_p95'] / 1000:.1f} | "
              f"{f(m.get('prompt_tokens_mean'))} | {m.get('answers', '–')} |")
    if len(pair) == 2:
        for i, a in pair["after"].items():
            b = pair["before"].get(i)
            if b and b["answer"] != a["answer"]:
                how = ("won" if right(a) and not right(b) else "lost" if right(b) and not right(a) else
                       "abstained" if a["abstained"] and not b["abstained"] else "same score")
                why = ", ".join(k for k in ("unfound_names", "not_asked") if (a.get("check") or {}).get(k)) or "other"
                changes.append((s, i, how, why, a["answerable"], b["answer"][:70], a["answer"][:70]))
# Answers that changed: counted per set, rule and outcome; the wording only for the team's own seed set
# (the external sets' questions and articles stay out of the repository).
print()
print("| set | rule | won | lost | abstained instead | same score |")
print("|---|---|---|---|---|---|")
counts = {}
for s, _i, how, why, *_ in changes:
    counts.setdefault((s, why), {}).setdefault(how, 0)
    counts[(s, why)][how] += 1
for (s, why), c in counts.items():
    print(f"| {s} | {why} | {c.get('won', 0)} | {c.get('lost', 0)} | {c.get('abstained', 0)} | {c.get('same score', 0)} |")
print()
print("| seed question | change | rule | answerable | before | after |")
print("|---|---|---|---|---|---|")
for c in changes:
    if c[0] == "seed":
        print("| " + " | ".join(str(x).replace("|", "/") for x in c[1:]) + " |")
