"""Run results -> report.json, report.md, results.jsonl and a PNG chart against the baselines."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.evaluation import metrics

SCHEMA_SECTIONS = ("answer", "retrieval", "citations", "abstention", "latency_ms")
CHART_METRICS = (("answer", "em", "EM"), ("answer", "f1", "F1"), ("answer", "contains", "contains"),
                 ("retrieval", "answer_recall@10", "recall@10"))


def check_summary(records: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """How often the claim check changed generated answers (None for answerers without a check)."""
    checked = [r["check"] for r in records if r.get("check")]
    if not checked:
        return None
    n = len(checked)
    removed = sum(1 for c in checked if c.get("dropped_sentences"))
    return {
        "answers_checked": n,
        "answers_with_a_sentence_removed": removed,
        "share_with_a_sentence_removed": round(removed / n, 4),
        "sentences_removed": sum(len(c.get("dropped_sentences") or []) for c in checked),
        "sentences_kept": sum(int(c.get("kept") or 0) for c in checked),
        "markers_removed": sum(int(c.get("removed_markers") or 0) for c in checked),
        "fell_back_to_extractive": sum(1 for c in checked if c.get("fallback")),
        "model_said_not_found": sum(1 for c in checked if c.get("model_abstained")),
        # bot/answer/asked.py: a name no passage mentions (no model asked); no value of the kind asked.
        "names_not_in_passages": sum(1 for c in checked if c.get("unfound_names")),
        "value_asked_not_stated": sum(1 for c in checked if c.get("not_asked")),
    }


# CPU features that decide the speed of the int8 embedder and the local model (llama.cpp).
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")


def cpu_info() -> dict[str, Any]:
    """The CPU model, its family / model / stepping and the vector flags of CPU_FLAGS it has (Linux
    /proc/cpuinfo): {"cpu_model": str, "cpu_id": str, "cpu_flags": [str]}; {} where it cannot be read."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)  # the last CPU's
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    ident = " ".join(f"{k} {fields[k]}" for k in ("cpu family", "model", "stepping") if k in fields)
    return {"cpu_model": fields.get("model name", "?"), "cpu_id": ident, "cpu_flags": [f for f in CPU_FLAGS if f in flags]}


def model_summary(records: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The generative model's reading and writing speed over the run, from the counters each answer's
    `check.model` carries (llama.cpp's for the local model: prompt tokens read, not reused from the
    cached prompt prefix). Tokens per second are totals over totals. None when no answer carries them.
    """
    used = [r["check"]["model"] for r in records if r.get("check") and r["check"].get("model")]
    if not used:
        return None

    def total(key: str) -> float:
        return float(sum(float(u.get(key) or 0) for u in used))

    def rate(tokens: str, ms: str) -> float | None:
        return round(total(tokens) / total(ms) * 1000, 2) if total(ms) else None

    return {
        "answers": len(used),
        "prompt_tokens_mean": round(total("prompt_tokens") / len(used), 1),
        "prompt_tokens_per_s": rate("prompt_tokens", "prompt_ms"),
        "generated_tokens_mean": round(total("generated_tokens") / len(used), 1),
        "generated_tokens_per_s": rate("generated_tokens", "generation_ms"),
        # llama.cpp's weight repacking (bot/answer/llm_local.py): on / off, or absent for other models
        **({"weights_repacked": "on" if all(u["repacked"] for u in used) else
            "off" if not any(u["repacked"] for u in used) else "mixed"} if all("repacked" in u for u in used) else {}),
    }


def build_report(
    dataset: str,
    records: Sequence[Mapping[str, Any]],
    config: Mapping[str, Any],
    *,
    retrieval: bool,
    citations: bool,
    baselines: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ingest: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report.json object: the documented schema (nulls where a dataset cannot fill) plus `extra`."""
    summary = metrics.summarize(records, retrieval=retrieval, citations=citations)
    report: dict[str, Any] = {"dataset": dataset, "n": len(records), "config": dict(config)}
    for section in SCHEMA_SECTIONS:
        report[section] = summary[section]
    report["temporal"] = metrics.temporal_summary(records)
    report["baselines"] = {}
    extra = dict(summary["extra"])
    extra["errors"] = sum(1 for r in records if r.get("error"))
    extra["ingest"] = dict(ingest) if ingest else None
    extra["counterfactual"] = counterfactual(records)
    extra["groups"] = groups(records)
    extra["check"] = check_summary(records)
    extra["model"] = model_summary(records)
    extra["baseline_detail"] = {}
    ours = {str(r["id"]): r for r in records}
    for name, brecords in (baselines or {}).items():
        # Like for like: a baseline is scored on the questions it predicts (of those asked in this
        # run), and newsbot's own score on exactly those questions stands beside it.
        shared = [r for r in brecords if str(r["id"]) in ours]
        mine = [ours[str(r["id"])] for r in shared]
        report["baselines"][name] = metrics.round4(metrics.answer_summary(shared))
        answered = [r for r in shared if not r["abstained"]]
        extra["baseline_detail"][name] = {
            "n": sum(1 for r in shared if r["answerable"]),
            "questions": len(shared),
            "mean_answer_words": metrics.round4(metrics.mean(float(r["scores"]["words"]) for r in answered)),
            "retrieval": None,
            "newsbot": metrics.round4(metrics.answer_summary(mine)),
        }
    report["extra"] = extra
    return report


def add_pipeline_baseline(report: dict[str, Any], name: str, other: Mapping[str, Any]) -> None:
    """Put another pipeline's run of the same questions beside ours, as a baseline."""
    report["baselines"][name] = dict(other["answer"])
    report["extra"]["baseline_detail"][name] = {
        "n": other["extra"]["answerable"],
        "questions": other["n"],
        "newsbot": dict(report["answer"]),  # the same questions were asked of both
        "mean_answer_words": other["extra"]["mean_answer_words"],
        "retrieval": dict(other["retrieval"]),
        "abstention": dict(other["abstention"]),
        "latency_ms": dict(other["latency_ms"]),
        "ingest": other["extra"]["ingest"],
    }


def counterfactual(records: Sequence[Mapping[str, Any]]) -> dict[str, float | None] | None:
    """RGB: shares of answers that follow the true passages, the counterfactual ones, both, neither."""
    rgb = [r for r in records if "follows_true" in r["scores"]]
    if not rgb:
        return None
    n = len(rgb)
    t = [bool(r["scores"]["follows_true"]) for r in rgb]
    f = [bool(r["scores"]["follows_fake"]) for r in rgb]
    a = [bool(r["abstained"]) for r in rgb]
    return metrics.round4({  # type: ignore[no-any-return]
        "contains_true": sum(t) / n,
        "contains_fake": sum(f) / n,
        "true_only": sum(x and not y for x, y in zip(t, f)) / n,
        "fake_only": sum(y and not x for x, y in zip(t, f)) / n,
        "both": sum(x and y for x, y in zip(t, f)) / n,
        "abstained": sum(a) / n,
        "neither": sum(not (x or y or z) for x, y, z in zip(t, f, a)) / n,
    })


def groups(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Answer metrics per question type or source."""
    by: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        if r.get("group"):
            by.setdefault(str(r["group"]), []).append(r)
    out = {}
    for name, rs in sorted(by.items()):
        out[name] = metrics.round4({
            "n": len(rs),
            **metrics.answer_summary(rs),
            "abstained": metrics.mean(float(r["abstained"]) for r in rs),
        })
    return out


def write_outputs(out: Path, report: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> None:
    """Write report.json, report.md, results.jsonl and chart.png into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    chart(report, out / "chart.png")


def _f(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value:.0f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _beside(scores: Mapping[str, Any] | None) -> str:
    if not scores:
        return "–"
    return " / ".join(_f(scores.get(k)) for k in ("em", "f1", "contains"))


def markdown(report: Mapping[str, Any]) -> str:
    """The tables a person reads."""
    cfg = report["config"]
    extra = report["extra"]
    me = f"newsbot ({cfg.get('pipeline', 'default')})"
    lines = [f"# Evaluation: {report['dataset']}", ""]
    lines.append(
        f"{report['n']} questions ({extra['answerable']} answerable), format {cfg.get('format')}, "
        f"pipeline {cfg.get('pipeline')}, answerer {cfg.get('answerer')}, embedder {cfg.get('embedder')}, "
        f"top_k {cfg.get('top_k')}" + (f", limit {cfg['limit']}" if cfg.get("limit") else "")
        + (f", sample {cfg['sample']} spread over the set" if cfg.get("sample") else "") + "."
        + (f" CPU: {cpu['cpu_model']} ({cpu['cpu_id']}; {', '.join(cpu['cpu_flags']) or 'no AVX2'})."
           if (cpu := cfg.get("cpu")) else "")
    )
    if extra.get("errors"):
        lines.append(f"{extra['errors']} questions failed with an error (scored as abstentions).")
    lines += ["", "## Answers", "", "Contains counts only answers of at most 50 words; abstaining on an "
              "answerable question scores 0. Each baseline is scored on the questions it has predictions "
              "for (`n` of them answerable); newsbot's own scores on exactly those questions are beside it.",
              ""]
    rows = [[me, _f(report["answer"]["em"]), _f(report["answer"]["f1"]), _f(report["answer"]["contains"]),
             _f(extra["mean_answer_words"]), _f(extra["answerable"]), "–"]]
    for name, b in report["baselines"].items():
        detail = extra["baseline_detail"].get(name, {})
        rows.append([name, _f(b["em"]), _f(b["f1"]), _f(b["contains"]),
                     _f(detail.get("mean_answer_words")), _f(detail.get("n")), _beside(detail.get("newsbot"))])
    lines += _table(["system", "EM", "F1", "contains", "mean words", "n",
                     "newsbot on the same questions (EM / F1 / contains)"], rows)
    ret = report["retrieval"]
    if any(v is not None for v in ret.values()):
        lines += ["## Retrieval", "", "Share of answerable questions whose normalised gold answer appears "
                  "in a top-k chunk.", ""]
        rows = [[me, _f(ret["answer_recall@1"]), _f(ret["answer_recall@4"]), _f(ret["answer_recall@10"]),
                 _f(ret["mrr@10"]), _f(extra.get("evidence_hit_rate@10"))]]
        for name, detail in extra["baseline_detail"].items():
            if detail.get("retrieval"):
                r = detail["retrieval"]
                rows.append([name, _f(r["answer_recall@1"]), _f(r["answer_recall@4"]),
                             _f(r["answer_recall@10"]), _f(r["mrr@10"]), "–"])
        lines += _table(["system", "recall@1", "recall@4", "recall@10", "MRR@10", "evidence hit@10"], rows)
    stage = extra.get("stages")
    if stage:
        lines += ["## Answer stages", "", "Share of answerable questions whose gold answer is among the candidate "
                  "answers weighed, ranked first by the evidence, in the passages as the model read them, in what "
                  "it wrote, in the sentences the claim check kept, and in the answer given.", ""]
        lines += _table(list(stage), [[_f(v) for v in stage.values()]])
    cit, abst = report["citations"], report["abstention"]
    lines += ["## Citations and abstention", ""]
    lines += _table(
        ["citation precision", "answers fully resolved", "abstention precision", "abstention recall",
         "abstained on answerable"],
        [[_f(cit["precision"]), _f(cit["resolved"]), _f(abst["precision"]), _f(abst["recall"]),
          _f(extra["abstained_on_answerable"])]],
    )
    lat = report["latency_ms"]
    lines += ["## Latency (ms)", ""]
    stages = ("retrieve", "answer", "total") + (("first_content",) if "first_content_p50" in lat else ())
    lines += _table(["stage", "p50", "p95"], [
        [stage.replace("_", " "), _ms(lat[f"{stage}_p50"]), _ms(lat[f"{stage}_p95"])] for stage in stages
    ])
    tmp = report.get("temporal")
    if tmp:
        lines += ["## News-aware answers (temporal set)", "", "accuracy: states the expected answer (both sides "
                  "of a disagreement); newest / older: states the newest value, mentions the earlier one; "
                  "disagreement: says the sources disagree; list: items named / citations naming an item; "
                  "citation dates: expected publish dates among the citations'.", ""]
        names = [k for k in tmp if k != "n"]
        lines += _table(["n"] + names, [[_f(tmp["n"])] + [_f(tmp[k]) for k in names]])
    chk = extra.get("check")
    if chk:
        lines += ["## Claim check (generated answers)", ""]
        lines += _table(list(chk), [[_f(v) for v in chk.values()]])
    model = extra.get("model")
    if model:
        lines += ["## Model speed (generated answers)", "", "prompt tokens: read per answer (a prompt prefix "
                  "cached from the previous answer is not read again); tokens/s: totals over the run.", ""]
        lines += _table(list(model), [[_f(v) for v in model.values()]])
    cf = extra.get("counterfactual")
    if cf:
        lines += ["## Counterfactual robustness", "", "Given passages stating the true answer and passages "
                  "stating a false one: which does the answer contain?", ""]
        keys = ("contains_true", "contains_fake", "true_only", "fake_only", "both", "abstained", "neither")
        lines += _table(list(keys), [[_f(cf[k]) for k in keys]])
    if extra.get("groups"):
        lines += ["## By question type", ""]
        lines += _table(["type", "n", "EM", "F1", "contains", "abstained"], [
            [name, _f(g["n"]), _f(g["em"]), _f(g["f1"]), _f(g["contains"]), _f(g["abstained"])]
            for name, g in extra["groups"].items()
        ])
    ing = extra.get("ingest")
    if ing:
        lines += ["## Ingest", ""]
        lines += _table(list(ing), [[_f(v) for v in ing.values()]])
    return "\n".join(lines)


def chart_series(report: Mapping[str, Any]) -> list[tuple[str, list[float | None]]]:
    """The chart's bars as (label, values in CHART_METRICS order): ours, then each baseline followed,
    where it covers fewer questions than were asked, by newsbot on exactly its questions."""
    extra = report["extra"]
    systems: list[tuple[str, list[float | None]]] = []
    mine = [report[s][k] for s, k, _ in CHART_METRICS]
    systems.append((f"newsbot ({report['config'].get('pipeline', 'default')}), n={extra.get('answerable')}", mine))
    for name, b in report["baselines"].items():
        detail = extra["baseline_detail"].get(name) or {}
        retrieval = detail.get("retrieval") or {}
        values = [b.get(k) if s == "answer" else retrieval.get(k) for s, k, _ in CHART_METRICS]
        systems.append((f"{name}, n={detail.get('n')}", values))
        same = detail.get("newsbot")
        if same is not None and detail.get("n") != extra.get("answerable"):
            # Like for like: newsbot on exactly this baseline's questions, next to it.
            systems.append((f"newsbot on the same {detail.get('n')} as {name}",
                            [same.get(k) if s == "answer" else None for s, k, _ in CHART_METRICS]))
    return systems


def chart(report: Mapping[str, Any], path: Path) -> None:
    """A grouped bar chart of the main metrics, ours beside each baseline's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = chart_series(report)
    labels = [label for _, _, label in CHART_METRICS]
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(labels) + 0.4 * len(systems)), 4.0))
    for i, (name, values) in enumerate(systems):
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(labels))]
        heights = [v if v is not None else 0.0 for v in values]
        bars = ax.bar(xs, heights, width, label=name)
        for bar, v in zip(bars, values):
            if v is not None:
                ax.annotate(f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                            fontsize=7)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"{report['dataset']} (n={report['n']})")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_report(folder: Path) -> dict[str, Any]:
    """Read report.json from a report folder."""
    from bot.errors import ReadError

    path = folder / "report.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except FileNotFoundError as exc:
        raise ReadError(f"{path}: no report here; run `newsbot eval run DATASET --out {folder}`") from exc
    except json.JSONDecodeError as exc:
        raise ReadError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc


def load_results(folder: Path) -> list[dict[str, Any]]:
    """Read results.jsonl from a report folder (empty when absent)."""
    path = folder / "results.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
