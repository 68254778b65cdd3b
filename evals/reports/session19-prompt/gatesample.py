"""Which evenly spread samples of the seed set's cases reach the verdict the whole set reaches (from one
whole-set run's results.jsonl). Usage: gatesample.py RESULTS_DIR [temporal]

With `temporal` (session 20), RESULTS_DIR is the temporal set's (OUT/temporal of `newsbot eval gate
--temporal-sample 54`) and the [temporal] floors are applied; the margins section is the seed set's."""
import json, sys
from pathlib import Path
from bot.evaluation.report import build_report
from bot.evaluation.gate import check, load_thresholds, split_floors
recs = [json.loads(l) for l in open(Path(sys.argv[1]) / "results.jsonl")]
cases = []
for r in recs:
    if not cases or cases[-1][0] != r["case"]:
        cases.append((r["case"], []))
    cases[-1][1].append(r)
TEMPORAL = sys.argv[2:] == ["temporal"]
seed_floors, temporal_floors = split_floors(load_thresholds(Path("evals/thresholds.toml")))
floors = temporal_floors if TEMPORAL else seed_floors
def verdict(sel):
    rep = build_report("temporal" if TEMPORAL else "seed", sel, {}, retrieval=True, citations=True)
    cs = check(rep, floors)
    return all(c.passed for c in cs), min(cs, key=lambda c: c.value - c.floor if c.value is not None else -9)
n = len(cases)
print("cases", n, "whole:", verdict(recs))
for N in range(10, n + 1):
    sel = [r for i in range(N) for r in cases[i * n // N][1]]
    ok, worst = verdict(sel)
    print(N, len(sel), ok, worst.metric, round(worst.value - worst.floor, 3) if worst.value is not None else None)
if TEMPORAL:
    sys.exit(0)
print("answer and abstention margins")
for N in range(20, n + 1):
    sel = [r for i in range(N) for r in cases[i * n // N][1]]
    rep = build_report("seed", sel, {}, retrieval=True, citations=True)
    cs = [c for c in check(rep, floors) if not c.metric.startswith(("retrieval", "extra"))]
    print(N, len(sel), " ".join(f"{c.metric.split('.')[-1]}={c.value:.3f}({c.value - c.floor:+.3f})" for c in cs if c.value is not None))
