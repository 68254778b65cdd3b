"""Before/after tables for a session's report: one row per set and run, and the answers that changed.

    python evals/reports/before_after.py BEFORE AFTER SET...
    python evals/reports/before_after.py /tmp/s15/runs/after /tmp/s16/runs/after seed rtqa2025 rtqa2022 mh rgb

BEFORE and AFTER are run-folder prefixes: `<prefix>-<set>` holds one `newsbot eval run --out` folder
(report.json, results.jsonl), as session15-answers/local.sh writes them. Both runs are rescored with
this tree's `contains` (bot/evaluation/metrics.py) beside each run's own figure, so the rows compare like
for like. RGB rows also give the counterfactual columns (the true answer, the fake one, both).

The changed answers are counted per set, path and outcome; their wording is printed only for the team's
own seed set: the external sets' questions and articles stay out of the repository.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bot.evaluation.metrics import contains  # noqa: E402

Record = dict[str, Any]


def fmt(x: Any) -> str:
    return "–" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def load(folder: Path) -> tuple[Record, dict[str, Record]]:
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    with (folder / "results.jsonl").open(encoding="utf-8") as f:
        records = {r["id"]: r for r in map(json.loads, f)}
    return report, records


def right(r: Record) -> bool:
    return bool(r["answerable"] and not r["abstained"] and contains(r["answer"], r["gold"]) == 1.0)


def path_of(r: Record) -> str:
    """Which stage gave the answer: the news rule, the quote, or the model's checked answer."""
    if "check" not in r:
        return "extractive answerer"
    check = r.get("check") or {}
    if check.get("temporal_fallback") or r.get("temporal") == "disagreement":
        return f"news rule ({r.get('temporal') or check.get('temporal_fallback')})"
    if check.get("unfound_names"):
        return "name not in passages"
    if check.get("not_asked"):
        return f"not asked ({check['not_asked'].get('kind')})"
    if check.get("fallback"):
        return "fallback to the quote"
    return "model's checked answer"


def outcome(before: Record, after: Record) -> str:
    if right(after) and not right(before):
        return "won"
    if right(before) and not right(after):
        return "lost"
    if after["abstained"] and not before["abstained"]:
        return "abstained instead"
    if before["abstained"] and not after["abstained"]:
        return "answered instead"
    return "same score"


def print_change_counts(changes: list[tuple[Any, ...]]) -> None:
    """The changed answers counted per set, path and outcome; `changes` holds (set, id, outcome, path, ...)."""
    print("| set | path of the new answer | won | lost | abstained instead | answered instead | same score |")
    print("|---|---|---|---|---|---|---|")
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for name, _qid, how, path, *_ in changes:
        counts.setdefault((name, path), {}).setdefault(how, 0)
        counts[(name, path)][how] += 1
    for (name, path), c in sorted(counts.items()):
        print(f"| {name} | {path} | {c.get('won', 0)} | {c.get('lost', 0)} | {c.get('abstained instead', 0)} | "
              f"{c.get('answered instead', 0)} | {c.get('same score', 0)} |")


def row(name: str, tag: str, report: Record, records: dict[str, Record]) -> str:
    model = report["extra"].get("model") or {}
    latency = report["latency_ms"]
    answerable = [r for r in records.values() if r["answerable"]]
    rescored = sum(right(r) for r in answerable) / len(answerable) if answerable else None
    abstention = report.get("abstention") or {}
    fake = report["extra"].get("counterfactual") or {}
    rgb = f"{fmt(fake.get('both'))} / {fmt(fake.get('fake_only'))}" if fake else "–"
    return (
        f"| {name} | {tag} | {report['n']} | {fmt(report['answer']['contains'])} | {fmt(rescored)} | "
        f"{fmt((report.get('citations') or {}).get('precision'))} | {fmt(abstention.get('precision'))} / "
        f"{fmt(abstention.get('recall'))} | {sum(1 for r in answerable if r['abstained'])} | {rgb} | "
        f"{latency['answer_p50'] / 1000:.1f} / {latency['answer_p95'] / 1000:.1f} | "
        f"{fmt(model.get('prompt_tokens_mean'))} | {model.get('answers', '–')} |"
    )


def main(before: str, after: str, sets: list[str]) -> None:
    print("| set | run | n | contains (own metric) | contains (this tree) | cit. prec. | abst. P / R | "
          "abstained on answerable | RGB both / fake only | answer p50 / p95 s | prompt tokens | model calls |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    changes: list[tuple[str, str, str, str, bool, str, str]] = []
    for name in sets:
        pair: dict[str, dict[str, Record]] = {}
        for tag, prefix in (("before", before), ("after", after)):
            try:
                report, records = load(Path(f"{prefix}-{name}"))
            except OSError:
                print(f"| {name} | {tag} | missing |")
                continue
            pair[tag] = records
            print(row(name, tag, report, records))
        if len(pair) == 2:
            for qid, a in pair["after"].items():
                b = pair["before"].get(qid)
                if b is not None and b["answer"] != a["answer"]:
                    changes.append((name, qid, outcome(b, a), path_of(a), a["answerable"], b["answer"][:80], a["answer"][:80]))
    print()
    print_change_counts(changes)
    seed = [c for c in changes if c[0] == "seed"]
    if seed:
        print()
        print("| seed question | change | path | answerable | before | after |")
        print("|---|---|---|---|---|---|")
        for c in seed:
            print("| " + " | ".join(str(x).replace("|", "/") for x in c[1:]) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
