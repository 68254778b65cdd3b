"""Crash safety (issue 8 point 1): a real `newsbot ingest` process killed at any point, then rerun,
leaves Chroma, BM25 and the state consistent: every article once, no orphan chunk, no article marked
done with chunks missing, and nothing that was indexed before the killed run lost.

Two kinds of kill, both on real subprocesses over a generated corpus of several hundred articles:
- exact: NEWSBOT_TEST_CRASH=POINT[:N] makes the ingest `os._exit` the Nth time it reaches POINT,
  one point inside each window of the write protocol (bot/state.py), BM25 saves included;
- timed: SIGKILL (`kill -9`) of the real `.venv/bin/newsbot ingest` with the real model, at moments
  chosen by watching its progress in the state file, plus random jitter.

The exact kills run a shim that swaps the embedding model for the deterministic hash embedder (the
protocol, not the embeddings, is under test, and each run is then seconds, not a minute).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.chunking import document_id
from bot.embed import HashEmbedder
from bot.lexical import Bm25Index
from bot.pipeline import Pipeline
from bot.settings import Settings
from index_check import assert_consistent, visible_docs_complete

ROOT = Path(__file__).resolve().parent.parent
NEWSBOT = Path(sys.executable).parent / "newsbot"
# Small Chroma shards, so that kills land while documents are written to, and deleted from, several.
SHARD_CHUNKS = 300

# `newsbot` itself, with the hash embedder standing in for MiniLM.
SHIM = (
    "import sys; import bot.pipeline as p; from bot.embed import HashEmbedder; "
    "p.EMBEDDERS['minilm'] = lambda s: HashEmbedder(); from bot.cli import main; sys.exit(main(sys.argv[1:]))"
)

WORDS = ("harbour council budget river transit school energy market police court museum farm storm "
         "bridge election vaccine factory tariff festival railway drought satellite union").split()


def article(n: int, version: int = 1) -> str:
    """A generated article, 1 to 8 chunks long, with words only it uses (qx{n}) and its version."""
    rng = random.Random(n * 1000 + version)
    sentences = []
    for i in range(rng.randint(4, 60)):
        a, b = rng.sample(WORDS, 2)
        sentences.append(f"Story qx{n} version {version} line {i}: the {a} report on the {b} counted {rng.randint(1, 9999)} cases.")
    return " ".join(sentences)


def write(folder: Path, n: int, version: int = 1, url: str | None = None) -> None:
    meta = f"title: Story {n}\nsource: {'Wire' if n % 2 else 'Daily'}\npublished: 2022-0{1 + n % 9}-1{n % 10}\n"
    if url:
        meta += f"url: {url}\n"
    (folder / f"s{n:04d}.md").write_text(f"---\n{meta}---\n{article(n, version)}\n", encoding="utf-8")


def make_v1(folder: Path, n: int) -> dict[str, str]:
    """The first corpus: n articles, every tenth also syndicated under a url. Returns key -> text."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write(folder, i)
    (folder / "syndicated.jsonl").write_text("".join(
        json.dumps({"text": article(i), "url": f"https://copy.example/{i}", "source": "Copy"}) + "\n"
        for i in range(0, n, 10)), encoding="utf-8")
    return expected(folder)


def make_v2(folder: Path, n: int) -> dict[str, str]:
    """Change the corpus: a third rewritten, a sixth deleted, a third new, one syndicated copy gone."""
    for i in range(0, n, 3):
        write(folder, i, version=2)
    for i in range(1, n, 6):
        (folder / f"s{i:04d}.md").unlink()
    for i in range(n, n + n // 3):
        write(folder, i)
    lines = (folder / "syndicated.jsonl").read_text(encoding="utf-8").splitlines()
    (folder / "syndicated.jsonl").write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    return expected(folder)


def expected(folder: Path) -> dict[str, str]:
    """key -> document id of every article the folder holds, as `newsbot ingest corpus` run in
    the folder's parent reads them (relative paths, so a copied case has the same keys)."""
    from bot.readers import read_articles

    out = {}
    prefix = str(folder.parent) + "/"
    for a in read_articles([folder]):
        assert not hasattr(a, "reason"), a
        key = a.key.removeprefix(prefix)  # type: ignore[union-attr]
        out[key] = document_id(a.text)  # type: ignore[union-attr]
    return out


# The state database of each data dir: its SQLite file unless a test puts it on PostgreSQL.
DATABASES: dict[Path, str] = {}


def ingest_env(data: Path) -> dict[str, str]:
    """The environment of an ingest process over `data` (small shards, no crash hook)."""
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_CHROMA_SHARD_CHUNKS": str(SHARD_CHUNKS)}
    env.pop("NEWSBOT_TEST_CRASH", None)
    env.pop("NEWSBOT_DATABASE_URL", None)
    if data in DATABASES:
        env["NEWSBOT_DATABASE_URL"] = DATABASES[data]
    return env


def pipeline_on(data: Path, embedder: object | None = None) -> Pipeline:
    """A reader's pipeline over `data`, with the settings the ingest processes use."""
    settings = Settings(data_dir=data, chroma_shard_chunks=SHARD_CHUNKS, database_url=DATABASES.get(data))
    return Pipeline(settings, embedder=embedder or HashEmbedder())  # type: ignore[arg-type]


def run_ingest(data: Path, folder: Path, *, crash: str | None = None, real: bool = False,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = ingest_env(data)
    if crash:
        env["NEWSBOT_TEST_CRASH"] = crash
    cmd = [str(NEWSBOT), "ingest", folder.name] if real else [sys.executable, "-c", SHIM, "ingest", folder.name]
    return subprocess.run(cmd, env=env, cwd=folder.parent, capture_output=True, text=True, timeout=timeout)


def check_after_crash(data: Path, before: dict[str, str], kept: set[str], embedder: object | None = None) -> None:
    """Right after a kill, before any rerun: readers see only whole documents and nothing that
    survives into v2 unchanged was lost."""
    p = pipeline_on(data, embedder)
    visible_docs_complete(p)
    now = p.state.sources_map()
    lost = [k for k in kept if now.get(k) != before[k]]
    assert not lost, f"{len(lost)} articles indexed before the killed run were lost, e.g. {lost[:3]}"
    # A reader can open the BM25 index whichever save it caught, and queries work.
    Bm25Index(p.lexical.folder).load()
    hits = p.retrieve(p.query("qx3 harbour report", k=5))
    assert all(p.state.has_doc(h.passage.doc_id) for h in hits)


def check_final(data: Path, want: dict[str, str], embedder: object | None = None) -> dict[str, int]:
    p = pipeline_on(data, embedder)
    figures = assert_consistent(p, keys=want)
    assert p.state.sources_map() == want, "an article points at the wrong version of its text"
    assert figures["documents"] == len(set(want.values()))
    return figures


N_ARTICLES = 300

# (phase, point): phase 1 kills the first ingest of the corpus, phase 2 the sync of its changes
# (updates, removals, syndicated copy removed), where deletes and BM25 tombstones happen.
CRASH_POINTS = [
    (1, "journaled:1"), (1, "journaled:3"), (1, "shard_mapped:3"), (1, "stored:2"), (1, "marked_done:4"),
    (1, "bm25_segment:1"), (1, "bm25_manifest:1"), (1, "bm25_saved:1"),
    (2, "journaled:2"), (2, "shard_mapped:1"), (2, "stored:1"), (2, "marked_done:1"), (2, "delete_journaled:1"),
    (2, "deleted_from_store:2"), (2, "keys_removed:1"), (2, "bm25_dead:1"), (2, "bm25_segment:1"),
    (2, "bm25_manifest:1"), (2, "bm25_saved:1"),
]


@pytest.fixture(scope="module")
def v1_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An index of the v1 corpus, built once and copied by each phase-2 case."""
    base = tmp_path_factory.mktemp("v1")
    want = make_v1(base / "corpus", N_ARTICLES)
    result = run_ingest(base / "data", base / "corpus")
    assert result.returncode == 0, result.stderr
    return base, want


def crash_case(tmp_path: Path, v1_index: tuple[Path, dict[str, str]], phase: int, point: str) -> dict[str, int]:
    import shutil

    base, v1 = v1_index
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(base / "corpus", corpus)
    if phase == 1:
        before: dict[str, str] = {}
        want = v1
    else:
        shutil.copytree(base / "data", data)
        # The copied index records the files under the original folder; a sync notes the move.
        before = dict(v1)
        r = run_ingest(data, corpus)
        assert r.returncode == 0 and "nothing embedded" in r.stdout, r.stderr
        assert pipeline_on(data).state.sources_map() == before
        want = make_v2(corpus, N_ARTICLES)
    killed = run_ingest(data, corpus, crash=point)
    assert killed.returncode == 137, f"the ingest never reached {point}: rc={killed.returncode} {killed.stderr[-500:]}"
    kept = {k for k, d in want.items() if before.get(k) == d}
    check_after_crash(data, before, kept)
    rerun = run_ingest(data, corpus)
    assert rerun.returncode == 0, rerun.stderr
    return check_final(data, want)


def test_crash_at_a_protocol_point_then_rerun(tmp_path: Path, v1_index: tuple[Path, dict[str, str]]) -> None:
    """One representative exact kill in the default suite: chunks in Chroma, document not yet done."""
    figures = crash_case(tmp_path, v1_index, 2, "stored:1")
    assert figures["articles"] > N_ARTICLES


@pytest.mark.parametrize("point", ["stored:1", "delete_journaled:1"])
def test_crash_with_the_state_on_postgresql_then_rerun(tmp_path: Path, postgres: object, point: str) -> None:
    """The same protocol with the state on PostgreSQL: v1 ingested, the corpus changed, the ingest killed
    inside a window of the protocol; readers see only whole documents and the rerun is consistent."""
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    DATABASES[data] = postgres.new_url()  # type: ignore[attr-defined]
    before = make_v1(corpus, 120)
    assert run_ingest(data, corpus).returncode == 0
    want = make_v2(corpus, 120)
    killed = run_ingest(data, corpus, crash=point)
    assert killed.returncode == 137, f"the ingest never reached {point}: rc={killed.returncode} {killed.stderr[-500:]}"
    check_after_crash(data, before, {k for k, d in want.items() if before.get(k) == d})
    rerun = run_ingest(data, corpus)
    assert rerun.returncode == 0, rerun.stderr
    check_final(data, want)


@pytest.mark.slow
@pytest.mark.parametrize(("phase", "point"), CRASH_POINTS, ids=[f"phase{p}-{c}" for p, c in CRASH_POINTS])
def test_crash_at_every_protocol_point_then_rerun(tmp_path: Path, v1_index: tuple[Path, dict[str, str]],
                                                  phase: int, point: str) -> None:
    crash_case(tmp_path, v1_index, phase, point)


@pytest.mark.slow
def test_crash_during_recovery_then_rerun(tmp_path: Path) -> None:
    """A run killed while it is recovering from an earlier kill recovers on the next run."""
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    want = make_v1(corpus, 200)
    assert run_ingest(data, corpus, crash="stored:2").returncode == 137
    assert run_ingest(data, corpus, crash="recovering:1").returncode == 137
    check_after_crash(data, {}, set())
    assert run_ingest(data, corpus).returncode == 0
    check_final(data, want)


def _docs_done(state: Path) -> int:
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT count(*) FROM docs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _kill_when(proc: subprocess.Popen[str], state: Path, at_docs: int, jitter: float, deadline: float) -> bool:
    """SIGKILL the process once the state holds `at_docs` done documents (plus jitter seconds)."""
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        if _docs_done(state) >= at_docs:
            time.sleep(jitter)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


@pytest.mark.slow
def test_kill_9_of_the_real_newsbot_ingest_at_several_points(tmp_path: Path, minilm: object) -> None:
    """`kill -9` of `.venv/bin/newsbot ingest` (real model) at several moments of a 160-article
    ingest and of the sync of its changes; after each kill the index is readable and whole, and
    one rerun leaves everything consistent."""
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    n = 160
    v1 = make_v1(corpus, n)
    state = data / "state.db"
    env = ingest_env(data)
    rng = random.Random(8)
    kills = 0
    # Kill the first ingest three times, further along each time (it resumes where it stopped).
    for target in (1, n // 3, 2 * n // 3):
        proc = subprocess.Popen([str(NEWSBOT), "ingest", "corpus"], env=env, cwd=tmp_path, text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if _kill_when(proc, state, target, rng.uniform(0.0, 1.5), time.time() + 400):
            kills += 1
            check_after_crash(data, {}, set(), embedder=minilm)
    assert kills >= 2
    done = run_ingest(data, corpus, real=True)
    assert done.returncode == 0, done.stderr
    check_final(data, v1, embedder=minilm)

    # Then the sync of the changes, killed once early and once late, right in its delete phase.
    v2 = make_v2(corpus, n)
    kept = {k for k, d in v2.items() if v1.get(k) == d}
    for delay in (rng.uniform(4.0, 8.0), None):
        proc = subprocess.Popen([str(NEWSBOT), "ingest", "corpus"], env=env, cwd=tmp_path, text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if delay is None:
            # Late: once the new articles are all in, the removals and BM25 save follow.
            target = _docs_done(state) + n // 3 - 5
            killed = _kill_when(proc, state, target, rng.uniform(0.0, 0.3), time.time() + 400)
        else:
            time.sleep(delay)
            killed = proc.poll() is None
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        kills += int(killed)
        check_after_crash(data, v1, kept, embedder=minilm)
    done = run_ingest(data, corpus, real=True)
    assert done.returncode == 0, done.stderr
    figures = check_final(data, v2, embedder=minilm)
    print(f"timed kill -9: {kills} kills survived; final index {figures}")
