"""The evaluation harness: datasets -> pipeline (ours or the naive yardstick) -> scores -> reports.

`newsbot eval run DATASET` asks every question and writes report.json, report.md, results.jsonl
and chart.png; `newsbot eval compare A B` diffs two report folders; `newsbot eval gate` checks the
team's question set against the floors in evals/thresholds.toml.
"""

from __future__ import annotations
