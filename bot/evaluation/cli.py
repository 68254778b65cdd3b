"""`newsbot eval run | compare | gate`: the evaluation harness on the command line."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings, add_answerer_argument

DEFAULT_REPORTS = Path("evals/reports/tmp")
DEFAULT_GATE_DATASET = Path("evals/seed.jsonl")
DEFAULT_THRESHOLDS = Path("evals/thresholds.toml")
DEFAULT_TEMPORAL_DATASET = Path("evals/temporal.jsonl")


def register_cli(subparsers: Any) -> None:
    """Add the `eval` command and its subcommands."""
    p = subparsers.add_parser("eval", help="measure answers, citations and abstention on a question set")
    sub = p.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")
    sub.required = True

    run = sub.add_parser("run", help="run a dataset and write report.json, report.md, results.jsonl, chart.png")
    run.add_argument("dataset", type=Path, help="a .jsonl file or a dataset folder")
    run.add_argument("--format", default="auto", choices=("auto", "jsonl", "realtimeqa", "multihop", "rgb"))
    run.add_argument("--out", type=Path, help=f"report folder (default {DEFAULT_REPORTS}/<dataset>-<pipeline>)")
    add_answerer_argument(run)
    run.add_argument("--pipeline", default="default", choices=("default", "naive", "closed", "both", "all"),
                     help="ours, the LangChain tutorial pipeline, the answerer's model closed-book (no passages), "
                     "both (ours with naive as a baseline in the same run) or all (naive and closed-book beside ours)")
    run.add_argument("--limit", type=int, help="ask only the first N questions")
    run.add_argument("--sample", type=int, help="ask N questions spread evenly over the set (every len/N-th)")
    run.set_defaults(handler=cmd_run)

    cmp = sub.add_parser("compare", help="metric differences between two report folders, and flipped questions")
    cmp.add_argument("a", type=Path, help="report folder A (before)")
    cmp.add_argument("b", type=Path, help="report folder B (after)")
    cmp.set_defaults(handler=cmd_compare)

    gate = sub.add_parser("gate", help="run the team's question set and fail below the floors")
    gate.add_argument("--dataset", type=Path, default=DEFAULT_GATE_DATASET)
    gate.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS)
    gate.add_argument("--temporal-dataset", type=Path, default=DEFAULT_TEMPORAL_DATASET,
                      help="the set the [temporal] floors are measured on (its own corpus beside it)")
    gate.add_argument("--sample", type=int,
                      help="ask N cases of the gate set spread evenly over it (every len/N-th) instead of all")
    gate.add_argument("--temporal-sample", type=int,
                      help="ask N cases of the temporal set spread evenly over it instead of all")
    gate.add_argument("--out", type=Path, help=f"report folder (default {DEFAULT_REPORTS}/gate)")
    add_answerer_argument(gate)
    gate.set_defaults(handler=cmd_gate)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "dataset"


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot eval run."""
    from bot.evaluation.datasets import load_dataset
    from bot.evaluation.runner import run_dataset

    for flag, value in (("--limit", args.limit), ("--sample", args.sample)):
        if value is not None and value < 1:
            print(f"newsbot: {flag} must be at least 1", file=sys.stderr)
            return 2
    dataset = load_dataset(args.dataset, args.format, limit=args.limit, sample=args.sample)
    out = args.out or DEFAULT_REPORTS / f"{_slug(dataset.name)}-{args.pipeline}"
    result = run_dataset(dataset, settings, pipeline=args.pipeline, out=out, limit=args.limit, sample=args.sample)
    print((out / "report.md").read_text(encoding="utf-8"))
    print(f"report written to {out}/ (report.json, report.md, results.jsonl, chart.png)")
    del result
    return 0


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot eval compare A B."""
    from bot.evaluation.compare import compare, format_comparison

    print(format_comparison(compare(args.a, args.b), str(args.a), str(args.b)))
    return 0


def cmd_gate(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot eval gate: exit 1 when a metric of the gate set is below its floor."""
    from bot.evaluation.datasets import load_dataset
    from bot.evaluation.gate import check, format_checks, load_thresholds, split_floors
    from bot.evaluation.runner import run_dataset

    for flag, value in (("--sample", args.sample), ("--temporal-sample", args.temporal_sample)):
        if value is not None and value < 1:
            print(f"newsbot: {flag} must be at least 1", file=sys.stderr)
            return 2
    floors, temporal_floors = split_floors(load_thresholds(args.thresholds))
    # A dedicated index of the shipped corpus, so the gate does not depend on what else was ingested.
    gate_settings = settings.with_(data_dir=settings.data_dir / "eval" / "gate")
    out = args.out or DEFAULT_REPORTS / "gate"
    checks = []
    if floors:
        dataset = load_dataset(args.dataset, sample=args.sample)
        result = run_dataset(dataset, gate_settings, out=out, sync_corpus=True, sample=args.sample)
        checks += check(result.report, floors)
    if temporal_floors:
        # The temporal set is asked against an index of its own articles (evals/temporal/).
        temporal = load_dataset(args.temporal_dataset, sample=args.temporal_sample)
        result = run_dataset(temporal, gate_settings, out=out / "temporal", sample=args.temporal_sample)
        checks += check(result.report, temporal_floors)
    print(format_checks(checks))
    return 0 if all(c.passed for c in checks) else 1
