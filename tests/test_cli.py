"""The `newsbot` command as a user runs it: real subprocesses of .venv/bin/newsbot with the real
model (issue 2 points 9 and 10), and no secret from the environment in anything it prints or stores
(issue 8 point 5)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEWSBOT = Path(sys.executable).parent / "newsbot"
ARTICLE = ROOT / "corpus" / "xiaomi-baic-ev-talks.md"
QUESTION = "Who holds the Beijing Hyundai licence?"

# Canary secrets present in the environment of every command run here.
CANARIES = {
    "SLACK_BOT_TOKEN": "xoxb-0000-CANARYBOT7c1e",
    "SLACK_SIGNING_SECRET": "CANARYSIGNING5a9d0f",
    "SLACK_APP_TOKEN": "xapp-1-CANARYAPP33b8",
    "OPENAI_API_KEY": "sk-CANARYOPENAI91f2e0",
    "ANTHROPIC_API_KEY": "sk-ant-CANARYANTHROPIC4d",
    "NEWSBOT_EMBEDDINGS_API_KEY": "tei-CANARYEMBED2b7",
}
OUTPUTS: list[str] = []  # everything the commands printed, checked for canaries at the end


def newsbot(*args: str, data: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **CANARIES, "NEWSBOT_DATA_DIR": str(data), **env}
    full_env.pop("NEWSBOT_TEST_CRASH", None)
    result = subprocess.run([str(NEWSBOT), *args], env=full_env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    OUTPUTS.append(result.stdout + result.stderr)
    return result


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """good/ holds the shipped article; bad/ holds files that must be reported and skipped."""
    root = tmp_path_factory.mktemp("tree")
    (root / "good").mkdir()
    shutil.copy(ARTICLE, root / "good" / ARTICLE.name)
    bad = root / "bad"
    bad.mkdir()
    (bad / "front.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    (bad / "blob.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (bad / "empty.md").write_text("", encoding="utf-8")
    (bad / "feed.jsonl").write_text('{"text": "fine text of a record", "title": "ok"}\n{oops\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def ingested(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data = tmp_path_factory.mktemp("cli-data")
    return data, newsbot("ingest", str(tree), data=data)


def test_ingest_reports_bad_files_on_stderr_and_exits_3(ingested: tuple[Path, subprocess.CompletedProcess[str]], tree: Path) -> None:
    data, result = ingested
    assert result.returncode == 3, result.stderr
    lines = result.stderr.splitlines()

    def reported(where: str) -> str:
        # Each problem is one line holding PATH[:LINE]: reason (a prefix such as "skipped " allowed).
        found = [ln for ln in lines if re.search(rf"(^|\s){re.escape(where)}: \S", ln)]
        assert len(found) == 1, f"{where} not reported once in:\n{result.stderr}"
        return found[0]

    assert "front matter" in reported(f"{tree}/bad/front.md:3").lower() or "yaml" in reported(f"{tree}/bad/front.md:3").lower()
    assert "binary" in reported(f"{tree}/bad/blob.txt")
    assert "empty" in reported(f"{tree}/bad/empty.md")
    assert "json" in reported(f"{tree}/bad/feed.jsonl:2").lower()
    assert result.stdout.strip().startswith("2 added, 0 updated, 0 removed, 0 unchanged")
    assert "4 skipped" in result.stdout


def test_rerun_on_the_good_folder_embeds_nothing_and_exits_0(ingested: tuple[Path, subprocess.CompletedProcess[str]], tree: Path) -> None:
    data, _ = ingested
    result = newsbot("ingest", str(tree / "good"), data=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("index is up to date: 1 articles unchanged, nothing embedded")
    as_json = newsbot("ingest", "--json", str(tree / "good"), data=data)
    report = json.loads(as_json.stdout)
    assert report["chunks_embedded"] == 0 and report["unchanged"] == 1 and report["skipped"] == []


def test_ask_prints_the_answer_and_its_sources(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data, _ = ingested
    result = newsbot("ask", QUESTION, data=data)
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert "Beijing Hyundai" in answer and "[1]" in answer
    first = sources.splitlines()[0]
    assert first.startswith("  [1] ")
    assert "2022-08" in first and first.endswith(f"{ARTICLE.name}")


def test_ask_quick_quotes_the_evidence_without_a_model(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data, _ = ingested
    # --quick answers with the quoted evidence whatever answers by default: the `llm` answerer's server
    # (a local one speaking OpenAI's API) gets no request.
    from openai_fake import OpenAIFake, Step

    with OpenAIFake([Step(reply="Hyundai Motor holds it [1].")]) as fake:
        result = newsbot("ask", QUESTION, "--quick", "--answerer", "llm", data=data,
                         NEWSBOT_LLM="openai:gpt-test", NEWSBOT_LLM_BASE_URL=fake.base_url)
    assert result.returncode == 0, result.stderr
    assert fake.requests == []  # no model was asked
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert "Beijing Hyundai" in answer and "[1]" in answer and sources.startswith("  [1] ")


def test_ask_json_is_the_documented_object(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data, _ = ingested
    result = newsbot("ask", QUESTION, "--json", "-k", "3", data=data)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "citations", "timings_ms"} <= obj.keys()
    assert obj.keys() <= {"question", "answer", "abstained", "citations", "timings_ms", "standalone_query", "check",
                          "temporal", "candidates"}
    # The candidate answer sentences weighed, best first: exact sentences of the article, the answer's first.
    text = ARTICLE.read_text(encoding="utf-8")
    assert obj["candidates"] and all(" ".join(c.split()) in " ".join(text.split()) for c in obj["candidates"])
    assert obj["candidates"][0] == obj["citations"][0]["quote"]
    assert obj.get("temporal") in (None, "as_of", "newest", "disagreement", "list", "timeline")
    assert obj["question"] == QUESTION
    assert obj["abstained"] is False
    assert isinstance(obj["answer"], str) and "Beijing Hyundai" in obj["answer"]
    assert all(isinstance(v, (int, float)) for v in obj["timings_ms"].values()) and "total" in obj["timings_ms"]
    assert obj["citations"]
    for c in obj["citations"]:
        assert set(c) == {"n", "article_id", "title", "source", "published", "url", "path", "quote"}
        assert c["quote"] in text, "a citation must be an exact quote"
        assert c["published"] == "2022-08" and c["path"].endswith(ARTICLE.name)
        assert c["title"] is None and c["source"] is None and c["url"] is None  # nothing invented
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", obj["answer"])}
    assert markers == {c["n"] for c in obj["citations"]} == set(range(1, len(obj["citations"]) + 1))


def test_ask_json_says_what_answered_each_part_of_a_compound_question(
    ingested: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    data, _ = ingested
    question = "How much did BAIC Motor's shares rise, and why were BAIC BluePark's shares halted?"
    result = newsbot("ask", question, "--json", data=data)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert [p["part"] for p in obj["check"]["parts"]] == [
        "How much did BAIC Motor's shares rise?", "Why were BAIC BluePark's shares halted?"]
    assert all(p["answered_by"] in ("answer", "quote") for p in obj["check"]["parts"])
    assert "30.5%" in obj["answer"] and "trading halt" in obj["answer"]
    assert {int(n) for n in re.findall(r"\[(\d+)\]", obj["answer"])} == {c["n"] for c in obj["citations"]}


def test_unanswerable_and_as_of_questions_abstain(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data, _ = ingested
    result = newsbot("ask", "What did the Bank of Japan decide about interest rates in Osaka?", "--json", data=data)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["abstained"] is True and obj["citations"] == []
    assert obj["answer"] == "I couldn't find that in the articles I have."
    # As of a date before the article was published, it does not exist yet.
    early = newsbot("ask", QUESTION, "--as-of", "2022-07-15", data=data)
    assert early.returncode == 0, early.stderr
    assert early.stdout.strip() == "I couldn't find that in the articles I have."


def test_stats(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data, _ = ingested
    result = newsbot("stats", "--json", data=data)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["articles"] == 2 and stats["documents"] == 2
    assert stats["chunks"] == stats["vectors"] == stats["bm25_chunks"] > 2
    assert stats["store"].startswith(str(data / "chroma"))
    assert stats["shards"] == 1  # far below NEWSBOT_CHROMA_SHARD_CHUNKS
    assert stats["embedder"] == "minilm"
    plain = newsbot("stats", data=data)
    assert re.search(r"articles: 2$", plain.stdout, re.M) and "embedder: minilm" in plain.stdout


def test_question_against_an_empty_index_says_how_to_ingest(tmp_path: Path) -> None:
    result = newsbot("ask", QUESTION, data=tmp_path / "empty")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"newsbot: the index in {tmp_path / 'empty'} is empty: run `newsbot ingest` "
        "(it reads corpus/ by default) or `newsbot ingest PATH...`"
    )


def test_too_long_or_empty_question_is_a_clear_message(tmp_path: Path) -> None:
    result = newsbot("ask", "why " * 400, data=tmp_path / "d")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "newsbot: the question is 1599 characters long; the limit is 1000 (NEWSBOT_MAX_QUESTION_CHARS)"
    )
    shorter = newsbot("ask", "why " * 40, data=tmp_path / "d", NEWSBOT_MAX_QUESTION_CHARS="100")
    assert "the limit is 100 (NEWSBOT_MAX_QUESTION_CHARS)" in shorter.stderr
    empty = newsbot("ask", "   ", data=tmp_path / "d")
    assert empty.returncode == 1 and empty.stderr.strip() == "newsbot: the question is empty"


def test_bad_settings_are_one_line_errors(tmp_path: Path) -> None:
    result = newsbot("stats", data=tmp_path / "d", NEWSBOT_TOP_K="many")
    assert result.returncode == 1
    assert result.stderr.strip() == "newsbot: NEWSBOT_TOP_K='many' is not an integer"
    bad_date = newsbot("ask", QUESTION, "--as-of", "last week", data=tmp_path / "d")
    assert bad_date.returncode == 2 and "'last week' is not a date (YYYY-MM-DD)" in bad_date.stderr


def test_llm_errors_do_not_leak_the_api_key(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """A hosted LLM that refuses the key and quotes it back (as OpenAI does): the CLI's message
    must not repeat it."""
    from openai_fake import OpenAIFake, Step

    data, _ = ingested
    with OpenAIFake([Step(status=401, echo_key=True)]) as fake:
        result = newsbot("-v", "ask", QUESTION, data=data, NEWSBOT_ANSWERER="llm",
                         NEWSBOT_LLM="openai:gpt-4.1-mini", NEWSBOT_LLM_BASE_URL=fake.base_url)
    assert fake.requests, "the LLM was never called: the check proved nothing"
    assert CANARIES["OPENAI_API_KEY"] in fake.requests[0].headers.get("authorization", "")
    assert result.returncode in (0, 1)
    assert CANARIES["OPENAI_API_KEY"] not in result.stdout + result.stderr


def test_no_secret_in_any_output_or_stored_file(ingested: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """Runs last in this module: every command above ran with canary secrets in its environment."""
    data, _ = ingested
    newsbot("-v", "ask", QUESTION, "--session", "s1", data=data)
    newsbot("-v", "stats", data=data)
    assert len(OUTPUTS) >= 10
    for out in OUTPUTS:
        for name, value in CANARIES.items():
            assert value not in out, f"{name} appeared in a command's output"
    for path in data.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for name, value in CANARIES.items():
                assert value.encode() not in blob, f"{name} stored in {path}"
