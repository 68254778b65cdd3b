"""The benchmark's cold-start runs: one fresh `newsbot ask --json QUESTION` process, timed from start to exit.

`newsbot bench` (bot/evaluation/bench.py, the `cold` phase) indexes its articles once, then runs
these one after another. Wall time is the process's whole life (interpreter start, imports, model
loads, retrieval, the answer, exit); the answer's own `timings_ms` say how much of it was retrieval
and answering, so wall - total is what a warm process would not pay. CPU seconds and peak RSS come
from the child's own rusage (os.wait4), not from the bench's other children.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

# Issue 28: a fresh `newsbot ask` process's first local answer in at most this many seconds.
COLD_TARGET_S = 15.0
# The local model's counters in an answer's `check.model` (bot/answer/llm_local.py).
MODEL_KEYS = ("prompt_tokens", "prompt_ms", "generated_tokens", "generation_ms")
# The note `newsbot ask` prints on stderr when it resolves `auto` (bot/pipeline.py `resolve_answerer`).
_NOTE = re.compile(r"answering with the (\w+) (?:answerer|model)")


def answerer_from_note(stderr: str, setting: str) -> str:
    """The answerer an `ask` process used: the one its stderr note names, else the setting it ran with."""
    note = _NOTE.search(stderr)
    return note.group(1) if note else setting


def cold_ask(question: str, env: dict[str, str], answerer: str) -> dict[str, Any]:
    """Run `newsbot ask --json question` in a fresh process and time it; `answerer` is the setting it runs with.

    Raises SystemExit with the command's last error line when it fails.
    """
    cmd = [sys.executable, "-m", "bot.cli", "ask", "--json", question]
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        last = stderr.strip().splitlines()[-1:] or ["no message"]
        raise SystemExit(f"bench: cold start: `newsbot ask --json` exited {proc.returncode}: {last[0]}")
    answer = json.loads(stdout)
    timings = answer.get("timings_ms") or {}
    check = answer.get("check") or {}
    model = check.get("model") or {}
    name = answerer_from_note(stderr, answerer)
    rest: dict[str, Any] = {}
    if "answer" in timings and "prompt_ms" in model and "generation_ms" in model:
        # The local model loads on its first answer: what the answer took besides reading and writing.
        rest["answer_rest_ms"] = round(timings["answer"] - model["prompt_ms"] - model["generation_ms"], 1)
    return {
        "wall_s": round(wall, 3),
        "startup_s": round(wall - timings.get("total", 0.0) / 1000, 3),
        "timings_ms": timings,
        "model": {k: model[k] for k in MODEL_KEYS if k in model},
        **rest,
        "answerer": name,
        "answered_by": f"{name} (fell back to quoting)" if check.get("fallback") else name,
        "notes": [line for line in stderr.splitlines() if line.startswith("newsbot:")],
        "abstained": bool(answer["abstained"]),
        "model_abstained": bool(check.get("model_abstained")),
        "answer": answer["answer"],
        "citations": len(answer.get("citations") or []),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load_before": round(load, 2),
    }


def cold_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians (p50) and maxima over runs of `cold_ask`: wall, start-up, the answer's timings and model counters."""

    def p50(values: list[float]) -> float:
        return round(float(statistics.median(values)), 3)

    walls = [r["wall_s"] for r in runs]
    startups = [r["startup_s"] for r in runs]
    timing_keys = [k for k in ("retrieve", "answer", "total") if all(k in r["timings_ms"] for r in runs)]
    model_keys = [k for k in MODEL_KEYS if all(k in r["model"] for r in runs)]
    return {
        "runs": len(runs),
        "wall_s": {"p50": p50(walls), "max": max(walls)},
        "startup_s": {"p50": p50(startups), "max": max(startups)},
        "timings_ms": {k: p50([r["timings_ms"][k] for r in runs]) for k in timing_keys},
        "model": {k: p50([r["model"][k] for r in runs]) for k in model_keys},
        **({"answer_rest_ms": p50([r["answer_rest_ms"] for r in runs])} if all("answer_rest_ms" in r for r in runs) else {}),
        "answered_by": sorted({r["answered_by"] for r in runs}),
        "abstained": sum(r["abstained"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "cpu_s": p50([r["cpu_s"] for r in runs]),
    }
