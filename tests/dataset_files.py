"""Tiny MultiHop-RAG and RGB folders, shared by the evaluation tests (datasets, runner, gate)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from jsonl_files import write_jsonl


def make_multihop(root: Path) -> Path:
    """A tiny MultiHop-RAG folder: a comparison question with two evidence facts and a null query."""
    root.mkdir(parents=True)
    (root / "queries.json").write_text(json.dumps({"queries": [
        {"id": "0", "question": "Did both outlets report the Lindqvist Bridge reopening?",
         "question_type": "comparison_query"},
        {"id": "1", "question": "Which network did she partner with?", "question_type": "null_query"},
    ]}))
    with gzip.open(root / "ground_truth.json.gz", "wt") as fh:
        json.dump({
            "0": {"answer": "Yes", "evidence_list": [
                {"title": "Bridge", "source": "Port Times", "published_at": "2023-09-26T17:01:22+00:00",
                 "url": "https://pt.test/1", "author": "A", "category": "local",
                 "fact": "The Lindqvist Bridge reopened on Monday."},
                {"title": "Bridge 2", "source": "Avery Post", "published_at": "2023-09-27T10:00:00+00:00",
                 "url": "https://ap.test/2", "author": "B", "category": "local",
                 "fact": "Traffic returned to the Lindqvist Bridge after it reopened."}]},
            "1": {"answer": "Insufficient information.", "evidence_list": []},
        }, fh)
    return root


def make_rgb(root: Path) -> Path:
    """A tiny RGB file: two questions with true, fake and noise passages."""
    root.mkdir(parents=True)
    write_jsonl(root / "en_fact.jsonl.gz", [
        {"id": 0, "query": "Where is the bridge?", "answer": "Port Avery", "fakeanswer": "Lake Town",
         "positive": ["The bridge is in Port Avery.", "Port Avery has the bridge."],
         "positive_wrong": ["The bridge is in Lake Town.", "Lake Town has the bridge."],
         "negative": ["Weather was fine.", "Markets rose.", "A cat slept."]},
        {"id": 1, "query": "When did it open?", "answer": [["May 1 2020", "1 May 2020"]], "fakeanswer": "May 1 2010",
         "positive": ["It opened on May 1 2020."], "positive_wrong": ["It opened on May 1 2010."], "negative": []},
    ], gz=True)
    return root
