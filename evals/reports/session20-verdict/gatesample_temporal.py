"""Which evenly spread samples of the temporal set (as `newsbot eval gate --temporal-sample N` draws them)
meet the [temporal] floors of evals/thresholds.toml, from one whole-set gate run's results.jsonl.
Usage: gatesample_temporal.py RESULTS_DIR (e.g. OUT/temporal of `newsbot eval gate --temporal-sample 54`)"""
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
_, floors = split_floors(load_thresholds(Path("evals/thresholds.toml")))
def checks(sel):
    return check(build_report("temporal", sel, {}, retrieval=True, citations=True), floors)
n = len(cases)
whole = checks(recs)
print("cases", n, "whole:", all(c.passed for c in whole), " ".join(f"{c.metric.split('.')[-1]}={c.value:.3f}" for c in whole if c.value is not None))
for N in range(10, n + 1):
    sel = [r for i in range(N) for r in cases[i * n // N][1]]
    cs = checks(sel)
    worst = min(cs, key=lambda c: c.value - c.floor if c.value is not None else -9)
    print(N, len(sel), all(c.passed for c in cs), worst.metric, round(worst.value - worst.floor, 3) if worst.value is not None else None)
