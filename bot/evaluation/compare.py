"""Two report folders -> metric differences and the questions whose outcome flipped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.evaluation.report import SCHEMA_SECTIONS, load_report, load_results

EXTRA_METRICS = ("mean_answer_words", "abstained_on_answerable", "evidence_hit_rate@10")


@dataclass
class Comparison:
    """Metric rows (name, a, b) and flipped question ids."""

    rows: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    broken: list[dict[str, Any]] = field(default_factory=list)
    only_a: int = 0
    only_b: int = 0


def metric_rows(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """Every numeric metric of the two reports, by dotted name."""
    rows = []
    for section in SCHEMA_SECTIONS:
        for key in dict.fromkeys(list(a.get(section) or {}) + list(b.get(section) or {})):
            rows.append((f"{section}.{key}", (a.get(section) or {}).get(key), (b.get(section) or {}).get(key)))
    for key in EXTRA_METRICS:
        rows.append((f"extra.{key}", (a.get("extra") or {}).get(key), (b.get("extra") or {}).get(key)))
    return rows


def compare(folder_a: Path, folder_b: Path) -> Comparison:
    """Compare report folder A (before) with B (after)."""
    a, b = load_report(folder_a), load_report(folder_b)
    result = Comparison(rows=metric_rows(a, b))
    res_a = {r["id"]: r for r in load_results(folder_a)}
    res_b = {r["id"]: r for r in load_results(folder_b)}
    result.only_a = len(res_a.keys() - res_b.keys())
    result.only_b = len(res_b.keys() - res_a.keys())
    for qid, rb in res_b.items():
        ra = res_a.get(qid)
        if ra is None:
            continue
        was, now = bool(ra["scores"].get("correct")), bool(rb["scores"].get("correct"))
        if was == now:
            continue
        item = {"id": qid, "question": rb["question"], "a": ra["answer"], "b": rb["answer"]}
        (result.fixed if now else result.broken).append(item)
    return result


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3f}"


def format_comparison(c: Comparison, name_a: str, name_b: str) -> str:
    """The comparison as text for a terminal."""
    width = max(len(r[0]) for r in c.rows) if c.rows else 10
    lines = [f"{'metric':<{width}}  {'A':>9}  {'B':>9}  {'B-A':>9}", f"A = {name_a}", f"B = {name_b}"]
    lines.insert(1, "-" * (width + 33))
    for name, va, vb in c.rows:
        delta = "" if va is None or vb is None else f"{vb - va:+.3f}" if abs(vb - va) < 100 else f"{vb - va:+.0f}"
        lines.append(f"{name:<{width}}  {_fmt(va):>9}  {_fmt(vb):>9}  {delta:>9}")
    lines.append("")
    lines.append(f"flipped to right in B: {len(c.fixed)}; flipped to wrong in B: {len(c.broken)}")
    for title, items in (("right in B, wrong in A", c.fixed), ("wrong in B, right in A", c.broken)):
        if items:
            lines.append(f"\n{title}:")
            for item in items:
                lines.append(f"  {item['id']}: {item['question'][:100]}")
                lines.append(f"      A: {item['a'][:140]}")
                lines.append(f"      B: {item['b'][:140]}")
    if c.only_a or c.only_b:
        lines.append(f"\nquestions only in A: {c.only_a}; only in B: {c.only_b}")
    return "\n".join(lines)
