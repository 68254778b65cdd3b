"""Writing JSONL test data (plain or gzipped), shared by the evaluation and benchmark tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def write_jsonl(path: Path, rows: list[object], gz: bool = False) -> Path:
    """One JSON object a line; gzipped when `gz`; parent folders created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
