"""evals/bench_slack.py end to end: the served bot, the fake Slack, the real pipeline, as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the repository


def _bench(tmp_path: Path, events: int, workers: int) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / f"burst-{workers}.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "evals" / "bench_slack.py"), "--events", str(events),
         "--workers", str(workers), "--out", str(out)],
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
