"""What the judge did in one run of the local answerer: answers judged, set aside, won and lost.

    python evals/reports/session22-answers/judged.py RUN_PREFIX SET...
    python evals/reports/session22-answers/judged.py /tmp/s22/runs/after seed rtqa2025 rgb mh rtqa2022

`<prefix>-<set>` is one `newsbot eval run --out` folder. An answer the judge set aside is recorded in
`check.judge.answer` (the model's checked answer); the run without the judge would have given it (the
judge puts the model's cache back, so every other answer is the same), so "without" rescoring it with
`contains` gives the run's figure without the judge. Prints one row per set, and the judged answers'
scores for right and wrong answers (no question text: the external sets stay out of the repository).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bot.evaluation.metrics import contains  # noqa: E402


def right(answer: str, r: dict) -> bool:
    return bool(r["answerable"] and contains(answer, r["gold"]) == 1.0)


print("| set | n | answerable | contains without the judge | with | judged | set aside | won | lost | "
      "unanswerable set aside (abstained after) |")
print("|---|---|---|---|---|---|---|---|---|---|")
scores: dict[str, list[tuple[float, bool]]] = {}
for name in sys.argv[2:]:
    folder = Path(f"{sys.argv[1]}-{name}")
    records = [json.loads(line) for line in (folder / "results.jsonl").open(encoding="utf-8")]
    answerable = [r for r in records if r["answerable"]]
    judged = [r for r in records if (r.get("check") or {}).get("judge")]
    aside = [r for r in judged if not r["check"]["judge"]["upheld"]]
    with_ = sum(right(r["answer"], r) and not r["abstained"] for r in answerable)
    won = sum(right(r["answer"], r) and not right(r["check"]["judge"]["answer"], r) for r in aside)
    lost = sum(right(r["check"]["judge"]["answer"], r) and not right(r["answer"], r) for r in aside)
    unans = [r for r in aside if not r["answerable"]]
    n = len(answerable) or 1
    print(f"| {name} | {len(records)} | {len(answerable)} | {(with_ - won + lost) / n:.3f} | {with_ / n:.3f} | "
          f"{len(judged)} | {len(aside)} | {won} | {lost} | {len(unans)} ({sum(r['abstained'] for r in unans)}) |")
    for r in judged:
        if r["answerable"]:
            given = r["check"]["judge"].get("answer", r["answer"])
            scores.setdefault(name, []).append((r["check"]["judge"]["score"], right(given, r)))
print()
print("| set | model's answer right: judge scores (sorted) | wrong |")
print("|---|---|---|")
for name, pairs in scores.items():
    ok = sorted(s for s, good in pairs if good)
    bad = sorted(s for s, good in pairs if not good)
    print(f"| {name} | {' '.join(f'{s:.1f}' for s in ok)} | {' '.join(f'{s:.1f}' for s in bad)} |")
