"""Speed and scale benchmark (the same as `newsbot bench`): see bot/evaluation/bench.py for what it measures.

    .venv/bin/python evals/bench.py ../shared/evaldata/realtimeqa-2022 --quick
    .venv/bin/python evals/bench.py ../shared/evaldata/realtimeqa-2022 --sizes 10000,100000,1000000

Writes report.json, report.md and latency.png into evals/reports/bench/ (or --out).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation.bench import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
