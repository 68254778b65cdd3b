"""The benchmark's report: report.md's tables and latency.png, from report.json's contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _ms(d: dict[str, Any] | None) -> str:
    if not d or not d.get("n"):
        return "-"
    return f"{d['p50']:.0f} / {d['p95']:.0f}"


def _cpu(m: dict[str, Any]) -> str:
    if "cpu_model" not in m:  # a report from before the CPU was recorded
        return ""
    flags = ", ".join(m.get("cpu_flags") or []) or "no AVX2"
    return f" ({m['cpu_model']}, {m.get('cpu_id', '')}; {flags})"


def _num(d: dict[str, Any], key: str) -> str:
    return f"{d[key]:.0f}" if key in d else "-"


def _cold(c: dict[str, Any]) -> list[str]:
    """The cold-start table: one row per question, medians over its runs."""
    idx = c["index"]
    within = "within" if c["within_target"] else "over"
    lines = [
        f"## Cold start: fresh `{c['command']}` processes ({c['runs_per_question']} per question, "
        f"answerer setting {c['answerer_setting']}, embedder {c['embedder']}, {idx['articles']} articles / {idx['chunks']} chunks"
        f"{', the ingest phase index' if idx.get('reused') else ''})",
        "",
        f"Wall: process start to exit, all runs p50 {c['wall_s']['p50']:.1f} s, max {c['wall_s']['max']:.1f} s "
        f"({within} the {c['target_s']:.0f} s target). Start-up = wall - the answer's own total: the interpreter, "
        "imports and the exit. The embedder, Chroma and BM25 load inside the first retrieve, the local model "
        "inside the first answer: answer's rest = answer - prompt ms - generation ms (the model's load, the "
        "claim check). Medians over the runs; model figures from the answer's `check.model` (the local model only).",
        "",
        "| question | answered by | wall p50 / max s | start-up p50 s | retrieve ms | answer ms | total ms "
        "| prompt tokens / ms | generated tokens / ms | answer's rest ms | CPU s | peak RSS MB | abstained | answer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for q in c["questions"]:
        t, mdl = q["timings_ms"], q["model"]
        text = " ".join(q["answer"].split()).replace("|", "\\|")
        question = q["question"].replace("|", "\\|")
        lines.append(
            f"| {q['kind']}: {question} | {', '.join(q['answered_by'])} | {q['wall_s']['p50']:.1f} / "
            f"{q['wall_s']['max']:.1f} | {q['startup_s']['p50']:.1f} | {_num(t, 'retrieve')} | {_num(t, 'answer')} | "
            f"{_num(t, 'total')} | {_num(mdl, 'prompt_tokens')} / {_num(mdl, 'prompt_ms')} | "
            f"{_num(mdl, 'generated_tokens')} / {_num(mdl, 'generation_ms')} | {_num(q, 'answer_rest_ms')} | "
            f"{q['cpu_s']:.1f} | {q['peak_rss_mb']:.0f} | "
            f"{q['abstained']}/{q['runs']} | {(text[:90] + '...') if len(text) > 90 else text} |"
        )
    lines.append("")
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown tables."""
    m = report["machine"]
    lines = [
        "# newsbot benchmark",
        "",
        f"{report['started']} to {report.get('finished', '?')}; {m['cpus']} CPUs{_cpu(m)}; load average before "
        f"{m['load_before'][0]:.1f}, after {report.get('load_after', [0])[0]:.1f} (other work shares this machine: "
        "absolute numbers vary, ratios are measured in the same run); "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
    ]
    if "embed" in report:
        e = report["embed"]
        lines += [
            f"## Embedders ({e['texts']} chunks, {e['wordpieces_mean']:.0f} wordpieces on average, 2 cores: "
            "two torch threads, two one-thread int8 sessions)",
            "",
            "| embedder | chunks/s (best of 2) | CPU ms/chunk | speed-up | cosine vs fp32 mean / min |",
            "|---|---|---|---|---|",
        ]
        for name, row in e["embedders"].items():
            speed = f"{row['speedup_best']:.2f}x (CPU {row['cpu_ratio']:.2f}x)" if "speedup_best" in row else "1.00x"
            cos = f"{e['cosine']['mean']:.4f} / {e['cosine']['min']:.4f}" if name != "minilm" else "1"
            lines.append(f"| {name} | {row['chunks_per_s_best']:.1f} | {row['cpu_ms_per_chunk']:.1f} | {speed} | {cos} |")
        lines += ["", "Embedding one question (ms, p50 / p95):", "", "| embedder | p50 / p95 |", "|---|---|"]
        lines += [f"| {name} | {_ms(v)} |" for name, v in e.get("question_ms", {}).items()]
        lines.append("")
    if "ingest" in report:
        lines += [
            "## Ingest, same articles (model load excluded; peak RSS of the ingesting process)",
            "",
            "| pipeline | embedder | articles | chunks | s | articles/s | chunks/s | x naive articles/s | peak RSS MB | retrieve p50 / p95 ms | ask p50 / p95 ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report["ingest"]:
            lines.append(
                f"| {r['pipeline']} | {r['embedder']} | {r['articles']} | {r['chunks']} | {r['seconds']:.1f} | "
                f"{r['articles_per_s']:.2f} | {r['chunks_per_s']:.1f} | {r['x_naive_articles_per_s']:.2f}x | "
                f"{r['ingest_peak_rss_mb']:.0f} | {_ms(r.get('retrieve_ms'))} | {_ms(r.get('ask_ms'))} |"
            )
        lines.append("")
    if "corpus" in report:
        lines += ["## How the corpus was built", "", report["corpus"]["how"], ""]
    if report.get("sizes"):
        lines += [
            "## Query latency by corpus size (ms, p50 / p95; retrieve = query embedding + dense + BM25 + fusion)",
            "",
            "| chunks | build chunks/s | build peak RSS MB | questions | embed query | dense, date filter (as retrieval does it) | dense, Chroma's own date filter | dense, no filter | BM25 | retrieve | ask | query RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in report["sizes"]:
            b = r["build"]
            rate = "reused" if b.get("reused") else f"{b['chunks_per_s']:.0f}"
            rss = "-" if b.get("reused") else f"{b['peak_rss_mb']:.0f}"
            lines.append(
                f"| {r['chunks']} | {rate} | {rss} | {r['retrieve_ms']['n']} | {_ms(r['embed_query_ms'])} | {_ms(r['dense_ms'])} | {_ms(r.get('dense_chroma_filter_ms'))} | {_ms(r.get('dense_nofilter_ms'))} | "
                f"{_ms(r['bm25_ms'])} | {_ms(r['retrieve_ms'])} | {_ms(r['ask_ms'])} | {r['peak_rss_mb']:.0f} |"
            )
        lines.append("")
        steps = [(r["chunks"], st) for r in report["sizes"] for st in r["build"].get("steps", [])]
        if steps:
            lines += [
                "## Build steps (each a fresh ingest process; peak RSS is that process's; vectors are replayed, so no model is loaded: add the embedder's own memory, see the ingest table)",
                "",
                "| chunks after | chunks added | s | chunks/s | Chroma shards | peak RSS MB |",
                "|---|---|---|---|---|---|",
            ]
            lines += [f"| {st['chunks']} | {st['added_chunks']} | {st['seconds']:.0f} | {st['chunks_per_s']:.0f} | "
                      f"{st.get('shards', '-')} | {st['peak_rss_mb']:.0f} |" for _, st in steps]
            lines.append("")
    if "server" in report:
        s = report["server"]
        lines += [
            f"## Embedded Chroma vs `chroma run` server on 127.0.0.1 ({s['size']} chunks, each built from scratch)",
            "",
            "| store | build chunks/s | dense p50 / p95 | retrieve p50 / p95 | ask p50 / p95 |",
            "|---|---|---|---|---|",
        ]
        for mode in ("embedded", "server"):
            r = s[mode]
            lines.append(f"| {mode} | {r['build']['chunks_per_s']:.0f} | {_ms(r['dense_ms'])} | "
                         f"{_ms(r['retrieve_ms'])} | {_ms(r['ask_ms'])} |")
        lines.append("")
    if report.get("recall"):
        n = report["recall"][0]["n"]
        lines += [
            f"## HNSW recall@10 against exact search ({n} vectors, {report['recall'][0]['search_ms']['n'] + 1} questions)",
            "",
            "| M | ef_construction | ef_search | build vectors/s | recall@10 | worst question | search p50 / p95 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in report["recall"]:
            lines.append(
                f"| {r['m']} | {r['ef_construction']} | {r['ef_search']} | {r['build_vectors_per_s']:.0f} | "
                f"{r['recall_at_10']:.3f} | {r['recall_at_10_min']:.1f} | {_ms(r['search_ms'])} |"
            )
        lines.append("")
    if "cold" in report:
        lines += _cold(report["cold"])
    return "\n".join(lines)


def chart(report: dict[str, Any], path: Path) -> None:
    """Latency (p50 and p95) against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["sizes"]
    sizes = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label, color in (("dense_ms", "dense", "tab:blue"), ("retrieve_ms", "retrieve", "tab:green"),
                              ("ask_ms", "ask", "tab:red")):
        ax.plot(sizes, [r[key]["p50"] for r in rows], "o-", color=color, label=f"{label} p50")
        ax.plot(sizes, [r[key]["p95"] for r in rows], "s--", color=color, label=f"{label} p95")
    if len(sizes) > 1:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("newsbot query latency by corpus size")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
