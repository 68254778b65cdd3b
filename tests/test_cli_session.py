"""`newsbot ask --session` holds a conversation across separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.pipeline import Pipeline

NEWSBOT = str(Path(sys.executable).parent / "newsbot")


def _ask(data_dir: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir)}
    out = subprocess.run([NEWSBOT, "ask", "--json", *args], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_session_carries_a_follow_up_between_processes(corpus_pipeline: Pipeline) -> None:
    data = corpus_pipeline.settings.data_dir
    first = _ask(data, "--session", "s1", "Who is Xiaomi in talks with?")
    assert "Beijing Automotive" in str(first["answer"])
    second = _ask(data, "--session", "s1", "What would they buy?")
    assert "Xiaomi" in str(second["standalone_query"])
    assert "Beijing Hyundai No. 2" in str(second["answer"])
    assert second["citations"] and not second["abstained"]
    # Another session name starts from nothing.
    other = _ask(data, "--session", "s2", "What would they buy?")
    assert other["standalone_query"] == "What would they buy?"
