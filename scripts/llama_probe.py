"""Load the local GGUF with the installed llama_cpp and answer two questions: exit 0 when both are right.

Run it as its own process (scripts/build_llama.sh does after installing a build, and so does
tests/answer/test_llm_local.py): a llama.cpp build whose AMX kernels crash dies here by a signal
instead of inside the bot. A build that runs but computes wrongly fails here too: the second question
shares the first one's opening (the system message), which llama-cpp-python reuses from its cache, and
goes on with a passage of several hundred tokens, as the bot's prompts do. The patched AMX build of
session 13 answered the first question of a process right and wrote nonsense from the second on
(evals/reports/session13-llama-build/).

The questions are asked twice, with llama.cpp's weight repacking on (its default: the weights copied
into the layout of this CPU's kernels, AMX among them) and off (the weights as stored). Repacking on
must answer both right (it is the build's default). Where off does too, the way that read the prompts
faster (off only when by a tenth or more) is recorded for this build and CPU in
`~/.cache/newsbot/llama-repack.json` (`bot.answer.llm_local.record_repack`), and the bot loads the
model that way. A Zen 5 with AVX-512 read 1.45x faster with repacking off; an Intel Xeon
with AMX 1.5x faster with it on (evals/reports/session25-repack/).

A pass proves one combination: the installed llama.cpp libraries, the model's bytes, this CPU's flags
and this probe. With `--remember FOLDER` a pass leaves a note `probe-passed-<key>` there, and the same
combination is not run again (exit 0 at once, saying so, and recording again the repacking the
note names): scripts/build_llama.sh keeps the notes beside its cached wheels, so a fresh
checkout on a machine that probed that build before spends no minute on it. Delete the note to probe
again.

Usage: python scripts/llama_probe.py MODEL.gguf [--remember FOLDER]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import re
import sys
from pathlib import Path

SYSTEM = "Answer the question from the passage only, in one short sentence, citing it as [1]."
FILLER = (
    "The council said the works had stayed within their budget. Traffic on the ring road was lighter than "
    "expected during the closure, and buses ran on their usual routes. Local shops reported a quiet month. "
)
QUESTIONS = (
    (FILLER * 12 + "Xiaomi Corp is in talks with Beijing Automotive Group about building electric vehicles at "
     "the Beijing Hyundai No. 2 plant, which holds a licence to make cars in China. " + FILLER * 6,
     "Which carmaker is Xiaomi in talks with?", "Beijing Automotive"),
    (FILLER * 8 + "The Lindqvist Bridge reopened on Tuesday after eight months of repairs, and the mayor, "
     "Celia Marsh, cut the ribbon. " + FILLER * 4,
     "Who cut the ribbon when the Lindqvist Bridge reopened?", "Celia Marsh"),
)


def passed_key(model: Path) -> str:
    """16 hex digits naming what a pass proves: the installed llama_cpp's shared libraries, the model's
    bytes, this CPU's flags (/proc/cpuinfo) and this probe's source."""
    from bot.answer.llm_local import file_sha256  # the model's sha256 from its `.verified` stamp when it matches

    digest = hashlib.sha256()
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        raise SystemExit("llama_probe: llama_cpp is not installed")
    for lib in sorted((Path(spec.origin).parent / "lib").glob("*.so*")):
        digest.update(f"{lib.name} {file_sha256(lib)}\n".encode())
    digest.update(file_sha256(model).encode())
    try:
        flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "")
    except OSError:
        flags = ""
    digest.update(flags.encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str]) -> int:
    """Answer QUESTIONS with the model at argv[1] on two threads, one context; print the replies, fail
    (status 1) when one lacks its expected words. With `--remember FOLDER`: skip a combination whose
    pass is noted there, note a new pass."""
    args = argv[1:]
    remember = None
    if len(args) == 3 and args[1] == "--remember":
        remember = Path(args[2])
        args = args[:1]
    if len(args) != 1:
        print("usage: python scripts/llama_probe.py MODEL.gguf [--remember FOLDER]", file=sys.stderr)
        return 2
    # No note for a model that is not there: the probe itself says so.
    note = remember / f"probe-passed-{passed_key(Path(args[0]))}" if remember and Path(args[0]).is_file() else None
    if note is not None and note.exists():
        said = note.read_text().strip()
        print(f"llama_probe: passed here before ({said}); not run again (delete {note} to rerun)", file=sys.stderr)
        chosen = re.search(r"repack=(on|off) on=([\d.]+) off=([\d.]+)", said)
        if chosen:
            _record(chosen[1] == "on", {"on": float(chosen[2]), "off": float(chosen[3])})
        return 0
    status, on = _probe(args[0], repack=True)
    if status != 0:
        return status
    status, off = _probe(args[0], repack=False)  # a wrong answer this way only rules this way out
    speeds = {"on": on, "off": off}
    repack = status != 0 or not off >= 1.1 * on
    print(f"llama_probe: prompt tokens/s with weight repacking on {speeds['on']:.1f}, off {speeds['off']:.1f}: "
          f"{'on' if repack else 'off'}", file=sys.stderr)
    _record(repack, speeds)
    if note is not None:
        try:
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
                            + f" repack={'on' if repack else 'off'} on={speeds['on']:.1f} off={speeds['off']:.1f}\n")
        except OSError as exc:  # the build passed; only the note is lost, and the next set-up probes again
            print(f"llama_probe: passed, but could not note it in {remember}: {exc}", file=sys.stderr)
    return 0


def _record(repack: bool, speeds: dict[str, float]) -> None:
    from bot.answer.llm_local import record_repack, repack_file

    try:
        record_repack(repack, speeds)
    except OSError as exc:  # the bot then loads the model as llama.cpp does by default
        print(f"llama_probe: could not record the repacking in {repack_file()}: {exc}", file=sys.stderr)


def _probe(model: str, *, repack: bool) -> tuple[int, float]:
    """Ask QUESTIONS with weight repacking on or off: (0, prompt tokens/s) when both answers are right,
    (1, tokens/s so far) when one is not."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    from bot.answer.llm_local import weight_repacking

    with weight_repacking(repack):
        llm = llama_cpp.Llama(model_path=model, n_ctx=4096, n_threads=2, n_threads_batch=2, seed=0, verbose=False)
    tokens, ms = 0, 0.0
    try:
        for passage, question, expected in QUESTIONS:
            llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
            out = llm.create_chat_completion(messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Passage [1]: {passage}\nQuestion: {question}"},
            ], max_tokens=24, temperature=0.0)
            perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
            tokens, ms = tokens + perf.n_p_eval, ms + perf.t_p_eval_ms
            text = (out["choices"][0]["message"]["content"] or "").strip()
            print(text)
            if expected.lower() not in text.lower():
                print(f"llama_probe: with weight repacking {'on' if repack else 'off'}, asked {question!r}, the model "
                      f"answered {text!r} (expected {expected!r})", file=sys.stderr)
                return 1, 0.0
    finally:
        llm.close()
    return 0, round(tokens / (ms / 1000), 1) if ms > 0 else 0.0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
