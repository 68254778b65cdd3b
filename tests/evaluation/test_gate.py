"""`newsbot eval run` and `newsbot eval gate` as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dataset_files import make_multihop

ROOT = Path(__file__).resolve().parents[2]


def newsbot(*args: str, env: dict[str, str], cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env}, cwd=cwd)


def test_eval_run_writes_every_output(tmp_path: Path) -> None:
    data = make_multihop(tmp_path / "mh")
    out = tmp_path / "out"
    proc = newsbot("eval", "run", str(data), "--out", str(out), "--format", "multihop",
                   env={"NEWSBOT_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 0, proc.stderr
    assert "# Evaluation: mh" in proc.stdout and f"report written to {out}" in proc.stdout
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "results.jsonl", "chart.png"}
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["format"] == "multihop" and report["n"] == 2
    bad = newsbot("eval", "run", str(tmp_path / "missing.jsonl"), env={"NEWSBOT_DATA_DIR": str(tmp_path / "d")})
    assert bad.returncode == 1 and "no such file" in bad.stderr


def test_gate_fails_when_a_floor_cannot_be_measured(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "festival.md").write_text(
        "Orchard Valley's annual apple festival crowned grower Tomas Reyes as champion on Saturday.\n")
    questions = tmp_path / "set.jsonl"
    questions.write_text(json.dumps({"id": "w", "question": "Who won the Orchard Valley apple festival?",
                                     "answers": ["Tomas Reyes"]}) + "\n")
    floors = tmp_path / "t.toml"
    floors.write_text('[retrieval]\n"answer_recall@10" = 1.0\n[abstention]\nrecall = 0.1\n')
    env = {"NEWSBOT_DATA_DIR": str(tmp_path / "d"), "NEWSBOT_CORPUS": str(corpus)}
    proc = newsbot("eval", "gate", "--dataset", str(questions), "--thresholds", str(floors),
                   "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 1, proc.stderr
    assert "ok   retrieval.answer_recall@10" in proc.stdout
    assert "FAIL abstention.recall" in proc.stdout and "missing" in proc.stdout
    assert (tmp_path / "d" / "eval" / "gate").is_dir()  # its own index, not the configured one


@pytest.mark.slow
def test_gate_passes_on_the_shipped_seed_set(tmp_path: Path) -> None:
    # The extractive answerer against its floors (`make test` also gates the default answerer, the
    # local model, against evals/thresholds.toml).
    proc = newsbot("eval", "gate", "--answerer", "extractive", "--thresholds", "evals/thresholds-extractive.toml",
                   "--out", str(tmp_path / "out"), env={"NEWSBOT_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "floors met" in proc.stdout and "FAILED" not in proc.stdout


def test_gate_sample_asks_cases_spread_over_each_set(tmp_path: Path) -> None:
    # `make test` gates the local model on a sample of the temporal set (`--temporal-sample`; `--sample` for the seed set).
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "festival.md").write_text(
        "Orchard Valley's annual apple festival crowned grower Tomas Reyes as champion on Saturday. "
        "The pie contest went to baker Ines Whitlock, and 4,000 visitors came.\n")
    questions = tmp_path / "set.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in (
        {"id": "champion", "question": "Who won the Orchard Valley apple festival?", "answers": ["Tomas Reyes"]},
        {"id": "pie", "question": "Who won the pie contest at the apple festival?", "answers": ["Ines Whitlock"]},
        {"id": "visitors", "question": "How many visitors came to the apple festival?", "answers": ["4,000"]},
        {"id": "mayor", "question": "Who is the mayor of Orchard Valley?", "answers": [], "answerable": False},
    )))
    floors = tmp_path / "t.toml"
    floors.write_text('[retrieval]\n"answer_recall@10" = 1.0\n')
    env = {"NEWSBOT_DATA_DIR": str(tmp_path / "d"), "NEWSBOT_CORPUS": str(corpus)}
    out = tmp_path / "out"
    proc = newsbot("eval", "gate", "--dataset", str(questions), "--thresholds", str(floors), "--sample", "2",
                   "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gate: 1/1 floors met" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["n"] == 2 and report["config"]["sample"] == 2
    asked = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert asked == ["champion", "visitors"]  # every len/N-th case: the first and the third of four
    for flag in ("--sample", "--temporal-sample"):
        bad = newsbot("eval", "gate", "--dataset", str(questions), "--thresholds", str(floors), flag, "0", env=env)
        assert bad.returncode == 2 and f"{flag} must be at least 1" in bad.stderr
