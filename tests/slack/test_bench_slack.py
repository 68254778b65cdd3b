"""evals/bench_slack.py end to end: the served bot, the fake Slack, the real pipeline, as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the repository


def _bench(tmp_path: Path, events: int, workers: int, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / f"burst-{workers}.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "evals" / "bench_slack.py"), "--events", str(events),
         "--workers", str(workers), "--out", str(out), *extra],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )
    assert out.exists(), proc.stderr[-2000:]
    return proc, json.loads(out.read_text())


@pytest.mark.parametrize("workers", [1, 2])
def test_burst_is_answered_once_each_in_admission_order(tmp_path: Path, workers: int) -> None:
    proc, result = _bench(tmp_path, events=5, workers=workers)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert result["acked_under_3s"] == 5 and result["retries_acked_200"] == 5
    assert result["answered_exactly_once"] == 5 and result["replies"] == 5
    # every question was admitted once (the retries were de-duplicated before the queue)
    assert result["admitted"] == 5
    assert result["answered_at_once"] == workers
    if workers == 1:  # one answer at a time: replies in exactly the order the queue took them
        assert result["replies_out_of_admission_order"] == 0
    else:
        assert 0 <= result["replies_out_of_admission_order"] <= 5
    assert "replies out of admission order" in proc.stdout
    # the extractive answer is the first content: it comes as the reply itself, nothing is streamed
    assert result["streamed"] == 0 and result["model_words_ms"] is None
    assert 0 < result["first_content_ms"]["p50"] <= result["first_content_ms"]["p95"] <= result["reply_ms"]["p95"]
    assert "time to first content p50 / p95 / max" in proc.stdout


def test_a_streamed_burst_reports_the_preliminary_answer_as_first_content(tmp_path: Path) -> None:
    """With a model behind an OpenAI-compatible server, each answer is one streamed message: the
    preliminary answer first (time to first content), the model's checked sentences after it, the
    final answer in its place (the reply)."""
    from openai_fake import OpenAIFake, Step

    reply = "Xiaomi is in talks with Beijing Automotive Group Co about buying a stake [1]."
    with OpenAIFake([Step(reply=reply)]) as llm:
        proc, result = _bench(tmp_path, 3, 1, "--answerer", "llm", "--llm", "openai:gpt-test",
                              "--llm-base-url", llm.base_url)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert result["answered_exactly_once"] == 3 and result["replies"] == 3 and result["streamed"] == 3
    first, reply_ms = result["first_content_ms"], result["reply_ms"]
    assert 0 < first["p50"] <= reply_ms["p50"] and first["p95"] <= reply_ms["p95"]
