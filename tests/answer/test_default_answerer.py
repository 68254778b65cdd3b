"""The answerer a new user meets: `auto` (the local model when installed, else extractive), named on
stderr, and `--answerer NAME` on every command that answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.pipeline import make_answerer, resolve_answerer
from bot.settings import ANSWERERS, Settings

ROOT = Path(__file__).resolve().parents[2]
NEWSBOT = Path(sys.executable).parent / "newsbot"
QUESTION = "Who holds the Beijing Hyundai licence?"


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSBOT_ANSWERER", "NEWSBOT_EMBEDDER")}
    return {**env, "NEWSBOT_DATA_DIR": str(data), **extra}


def test_the_environment_defaults_are_auto_and_the_int8_embedder() -> None:
    settings = Settings.from_env({})
    assert (settings.answerer, settings.embedder) == ("auto", "minilm-int8")
    assert Settings.from_env({"NEWSBOT_ANSWERER": "extractive"}).answerer == "extractive"


def test_auto_is_extractive_when_the_local_model_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hash_embedder: object
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # find_spec() now reports it missing
    name, note = resolve_answerer(Settings(data_dir=tmp_path, answerer="auto"))
    assert name == "extractive"
    assert "extractive" in note and "make local" in note
    assert type(make_answerer(Settings(data_dir=tmp_path, answerer="auto"), hash_embedder)).__name__ == "ExtractiveAnswerer"  # type: ignore[arg-type]


def test_auto_is_the_local_model_when_it_is_installed(tmp_path: Path) -> None:
    # `make test` installs the local extra (as `make demo` does), so here auto means the local model.
    name, note = resolve_answerer(Settings(data_dir=tmp_path, answerer="auto"))
    assert name == "local"
    assert "local model" in note and "--answerer extractive" in note


def test_a_named_answerer_stands_for_itself(tmp_path: Path) -> None:
    for name in ("extractive", "local", "llm"):
        assert resolve_answerer(Settings(data_dir=tmp_path, answerer=name, llm="openai:x"))[0] == name


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "--answerer", "extractive", QUESTION],
        ["repl", "--answerer", "extractive"],
        ["slack", "--http", "--answerer", "extractive"],
        ["eval", "run", "evals/seed.jsonl", "--answerer", "extractive"],
    ],
)
def test_every_answering_command_takes_answerer(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.answerer == "extractive"


def test_the_global_flag_still_works_and_the_subcommand_flag_wins() -> None:
    assert build_parser().parse_args(["--answerer", "local", "ask", QUESTION]).answerer == "local"
    assert build_parser().parse_args(["--answerer", "local", "ask", "--answerer", "extractive", QUESTION]).answerer == "extractive"
    assert build_parser().parse_args(["ask", QUESTION]).answerer is None


@pytest.mark.parametrize("command", [["ask", QUESTION], ["repl"], ["slack", "--http"], ["eval", "run", "evals/seed.jsonl"]])
def test_an_unknown_answerer_lists_the_valid_ones(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [str(NEWSBOT), *command[:1], *command[1:], "--answerer", "gpt9"],
        env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "invalid choice: 'gpt9'" in result.stderr
    for name in ANSWERERS:
        assert repr(name) in result.stderr


def test_ask_with_the_answerer_flag_after_the_question_is_accepted(corpus_pipeline: object) -> None:
    data = corpus_pipeline.settings.data_dir  # type: ignore[attr-defined]
    result = subprocess.run(
        [str(NEWSBOT), "ask", QUESTION, "--answerer", "extractive"],
        env=_env(data, NEWSBOT_EMBEDDER="minilm"), cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Beijing Hyundai No. 2 plant" in result.stdout and "[1]" in result.stdout
    assert "answering with" not in result.stderr  # a named answerer needs no note


@pytest.mark.slow
def test_a_new_user_gets_the_local_model_and_a_line_saying_so(tmp_path: Path) -> None:
    """The README's first command as a new user runs it: no settings, ingest, then ask."""
    data = tmp_path / "data"
    ingest = subprocess.run([str(NEWSBOT), "ingest"], env=_env(data), cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert ingest.returncode == 0, ingest.stderr
    result = subprocess.run([str(NEWSBOT), "ask", "--json", QUESTION], env=_env(data), cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    notes = [ln for ln in result.stderr.splitlines() if "answering with" in ln]
    assert len(notes) == 1 and "local model" in notes[0] and "--answerer extractive" in notes[0]
    import json

    answer = json.loads(result.stdout)
    assert not answer["abstained"] and answer["citations"]
    assert "Beijing Hyundai" in answer["answer"] and "[1]" in answer["answer"]
    assert "check" in answer  # the generative answer's claim check ran
    # The README promises each answer's own model counts: tokens read and generated, and their times.
    model = answer["check"]["model"]
    assert model["prompt_tokens"] > 0 and model["generated_tokens"] > 0 and model["prompt_ms"] > 0
    stats = subprocess.run([str(NEWSBOT), "stats", "--json"], env=_env(data), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert '"embedder": "minilm-int8"' in stats.stdout and '"answerer": "local"' in stats.stdout
