"""Run worker.py under several llama-cpp-python builds, round-robin (the order rotates each round),
each run in its own subprocess so a crash is recorded (exit status, signal), not fatal.

Usage: python paired.py --rounds 5 --out results.jsonl NAME=/path/to/venv/bin/python ...
The first NAME is the baseline the ratios are taken against (pair by pair, within a round).
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MODEL = "/tmp/s10/data-rtqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def cpu_line() -> str:
    info = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.M).group(1)
    fam = re.search(r"^cpu family\s*:\s*(\d+)", info, re.M).group(1)
    mod = re.search(r"^model\s*:\s*(\d+)", info, re.M).group(1)
    flags = set(re.search(r"^flags\s*:\s*(.*)$", info, re.M).group(1).split())
    want = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16"]
    have = " ".join(f"{f}={'yes' if f in flags else 'no'}" for f in want)
    return f"{model} (family {fam} model {mod}), {platform.machine()}, {have}"


def run_one(name: str, python: str, args: argparse.Namespace) -> dict:
    cmd = [python, str(HERE / "worker.py"), args.model, args.prompt,
           "--max-tokens", str(args.max_tokens), "--threads", str(args.threads)]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = None, exc.stdout or "", exc.stderr or ""
        out = out.decode() if isinstance(out, bytes) else out
        err = err.decode() if isinstance(err, bytes) else err
    row: dict = {"build": name, "rc": rc, "wall_s": round(time.perf_counter() - t0, 1)}
    if rc is not None and rc < 0:
        row["signal"] = signal.Signals(-rc).name
    for line in out.splitlines():
        if line.startswith("{"):
            row.update(json.loads(line))
    row["buffers"] = sorted(set(re.findall(r"(\w+) model buffer size", err)))
    if rc != 0:
        row["stderr_tail"] = err[-600:]
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("builds", nargs="+", help="NAME=PYTHON")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--prompt", default=str(HERE / "prompt.txt"))
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=240)
    ap.add_argument("--out", default="results.jsonl")
    args = ap.parse_args()
    builds = [b.split("=", 1) for b in args.builds]
    names = [n for n, _ in builds]
    out = open(args.out, "a")
    cpu = cpu_line()
    print("CPU:", cpu, flush=True)
    out.write(json.dumps({"cpu": cpu, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    # one warm-up run per build (page cache, first-touch): recorded, not counted
    for name, py in builds:
        row = run_one(name, py, args) | {"round": 0}
        out.write(json.dumps(row) + "\n"); out.flush()
        print("warm-up", name, row.get("rc"), row.get("signal", ""), row.get("prompt_tps"), row.get("gen_tps"), row["buffers"], flush=True)
    rows = []
    for r in range(1, args.rounds + 1):
        order = builds[(r - 1) % len(builds):] + builds[: (r - 1) % len(builds)]
        for name, py in order:
            row = run_one(name, py, args) | {"round": r}
            rows.append(row)
            out.write(json.dumps(row) + "\n"); out.flush()
            print(f"round {r} {name}: rc={row.get('rc')} {row.get('signal', '')} prompt {row.get('prompt_tps')} "
                  f"tok/s ({row.get('prompt_tokens')} tok), gen {row.get('gen_tps')} tok/s ({row.get('gen_tokens')} tok) "
                  f"{row['buffers']}", flush=True)
    base = names[0]
    print(f"\nCPU: {cpu}\n{'build':<16} ok/runs  prompt tok/s (median)  gen tok/s (median)  "
          f"prompt ratio vs {base} (median of pairs)  gen ratio")
    for name in names:
        mine = [x for x in rows if x["build"] == name]
        ok = [x for x in mine if x.get("rc") == 0]
        pt = statistics.median([x["prompt_tps"] for x in ok]) if ok else float("nan")
        gt = statistics.median([x["gen_tps"] for x in ok]) if ok else float("nan")
        pr, gr = [], []
        for r in range(1, args.rounds + 1):
            a = [x for x in rows if x["round"] == r and x["build"] == base and x.get("rc") == 0]
            b = [x for x in ok if x["round"] == r]
            if a and b:
                pr.append(b[0]["prompt_tps"] / a[0]["prompt_tps"]); gr.append(b[0]["gen_tps"] / a[0]["gen_tps"])
        prs = f"{statistics.median(pr):.3f} (min {min(pr):.3f}, max {max(pr):.3f})" if pr else "-"
        grs = f"{statistics.median(gr):.3f} (min {min(gr):.3f}, max {max(gr):.3f})" if gr else "-"
        crashes = sorted({x.get('signal', str(x.get('rc'))) for x in mine if x.get('rc') != 0})
        print(f"{name:<16} {len(ok)}/{len(mine)}  {pt:>8.2f}  {gt:>8.2f}  {prs}  {grs}  {'FAILED: ' + ','.join(crashes) if crashes else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
