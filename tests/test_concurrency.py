"""Concurrent use (issue 8 point 2): queries keep working while an ingest runs and never see a
half-written article (nor two versions of one); a second ingest exits with a clear message, or waits
with --wait. The writer is a real `newsbot ingest` process; the readers are threads of another
process (this one), as when the Slack bot answers while someone runs an ingest."""

from __future__ import annotations

import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.embed import HashEmbedder
from bot.errors import IndexBusyError
from bot.pipeline import Pipeline
from bot.settings import Settings
from index_check import assert_consistent

NEWSBOT = Path(sys.executable).parent / "newsbot"
SHIM = (
    "import sys; import bot.pipeline as p; from bot.embed import HashEmbedder; "
    "p.EMBEDDERS['minilm'] = lambda s: HashEmbedder(); from bot.cli import main; sys.exit(main(sys.argv[1:]))"
)
_VERSION = re.compile(r"Story qx(\d+) version (\d+)")


def write_corpus(folder: Path, n: int, version: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        rng = random.Random(i)
        sentences = [f"Story qx{i} version {version} line {j}: the council counted {rng.randint(1, 999)} bicycles."
                     for j in range(rng.randint(5, 40))]
        (folder / f"s{i:04d}.md").write_text(" ".join(sentences) + "\n", encoding="utf-8")


def shim(data: Path, *args: str, database_url: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data)}
    env.pop("NEWSBOT_TEST_CRASH", None)
    env.pop("NEWSBOT_DATABASE_URL", None)
    if database_url:
        env["NEWSBOT_DATABASE_URL"] = database_url
    return subprocess.Popen([sys.executable, "-c", SHIM, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _visible(pipeline: Pipeline, doc_id: str) -> bool:
    """Whether readers may see a document now: marked done and not journaled for deletion."""
    return bool(pipeline.state.read(
        "SELECT 1 FROM docs WHERE doc_id = ? AND doc_id NOT IN (SELECT doc_id FROM journal WHERE op = 'del')", (doc_id,)))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_queries_during_an_ingest_never_see_half_written_or_mixed_articles(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    n = 300
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    write_corpus(corpus, n, version=1)
    url = request.getfixturevalue("postgres").new_url() if backend == "postgresql" else None
    settings = Settings(data_dir=data, database_url=url)
    Pipeline(settings, embedder=HashEmbedder()).ingest([corpus])
    write_corpus(corpus, n, version=2)  # every article rewritten: each one changes version mid-run
    write_corpus(tmp_path / "more", n // 2, version=3)

    reader = Pipeline(settings, embedder=HashEmbedder())
    stop = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []
    versions_seen: set[int] = set()
    lock = threading.Lock()

    def ask_repeatedly(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            i = rng.randrange(n)
            t0 = time.perf_counter()
            try:
                hits = reader.retrieve(reader.query(f"Story qx{i} council bicycles", k=8))
            except Exception as exc:  # noqa: BLE001 - any failure of a query is what we look for
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            by_article: dict[str, set[str]] = {}
            for h in hits:
                m = _VERSION.search(h.passage.text)
                if m is None:
                    errors.append(f"passage without its marker: {h.passage.text[:80]}")
                    continue
                by_article.setdefault(h.passage.article_id, set()).add(m.group(2))
                # The whole document is in the state and in Chroma: no half-written article. The writer
                # may replace the document right after this query (journaled 'del', then out of Chroma),
                # so Chroma is read first and the check holds for a document still visible after it.
                doc = h.passage.doc_id
                stored = set(reader.store.doc_chunk_ids([doc]))
                recorded = set(reader.state.chunk_ids_of(doc))
                if _visible(reader, doc) and not recorded <= stored:
                    errors.append(f"hit from a document with chunks missing in Chroma: {doc}")
            mixed = {a: v for a, v in by_article.items() if len(v) > 1}
            if mixed:
                errors.append(f"two versions of one article in one answer: {mixed}")
            with lock:
                latencies.append(elapsed)
                versions_seen.update(int(v) for vs in by_article.values() for v in vs)

    threads = [threading.Thread(target=ask_repeatedly, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    before = len(latencies)
    writer = shim(data, "ingest", str(corpus), str(tmp_path / "more"), database_url=url)
    out, err = writer.communicate(timeout=600)
    during = len(latencies) - before
    # Once the ingest is done the readers see its articles (its BM25 index is picked up at once;
    # embedded Chroma in a long-lived process sees another process's vectors only after a restart).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not versions_seen >= {1, 2, 3}:
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert writer.returncode == 0, err
    assert not errors, errors[:5]
    assert during >= 20, f"only {during} queries ran during the ingest"
    assert versions_seen >= {1, 2, 3}, f"the readers saw only versions {versions_seen}"
    p50 = statistics.median(latencies) * 1000
    p95 = sorted(latencies)[int(0.95 * len(latencies)) - 1] * 1000
    print(f"\n{len(latencies)} queries by 4 threads ({during} during the ingest), 0 errors, "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms; ingest: {out.strip()}")
    assert_consistent(Pipeline(settings, embedder=HashEmbedder()))


def test_two_ingests_in_threads_the_second_is_refused(settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 200, version=1)
    first = Pipeline(settings, embedder=HashEmbedder())
    second = Pipeline(settings, embedder=HashEmbedder())
    started = threading.Event()

    class Slow(HashEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            started.set()
            time.sleep(0.2)
            return super().embed(texts)

    first.embedder = first.indexer.embedder = Slow()
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(first.ingest([corpus])))
    t.start()
    assert started.wait(60)
    with pytest.raises(IndexBusyError, match=rf"another newsbot ingest \(pid {os.getpid()}\) is writing to {re.escape(str(settings.data_dir))}; "
                                             r"wait for it to finish, or pass --wait"):
        second.ingest([corpus])
    waited = second.ingest([corpus], wait=True)  # blocks until the first is done
    t.join()
    assert result and result[0].added == 200  # type: ignore[attr-defined]
    assert waited.unchanged == 200 and waited.chunks_embedded == 0
    assert_consistent(second)


@pytest.mark.slow
def test_two_newsbot_ingest_processes(tmp_path: Path) -> None:
    """The real command: the second exits 1 with the clear message; with --wait it waits."""
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    write_corpus(corpus, 250, version=1)
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data)}
    env.pop("NEWSBOT_TEST_CRASH", None)
    first = subprocess.Popen([str(NEWSBOT), "ingest", str(corpus)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lock = data / "ingest.lock"
    deadline = time.time() + 300
    while time.time() < deadline:
        if lock.exists() and lock.read_text().strip() == str(first.pid):
            break
        assert first.poll() is None, first.communicate()
        time.sleep(0.1)
    t0 = time.time()
    busy = subprocess.run([str(NEWSBOT), "ingest", str(corpus)], env=env, text=True, capture_output=True, timeout=300)
    refused_after = time.time() - t0
    assert first.poll() is None, "the first ingest ended before the second started: the check proved nothing"
    assert busy.returncode == 1
    assert busy.stderr.strip().splitlines()[-1] == (
        f"newsbot: another newsbot ingest (pid {first.pid}) is writing to {data}; wait for it to finish, or pass --wait"
    )
    waiter = subprocess.Popen([str(NEWSBOT), "ingest", "--wait", str(corpus)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_out, first_err = first.communicate(timeout=600)
    first_done = time.time()
    assert first.returncode == 0, first_err
    assert waiter.poll() is None or waiter.returncode == 0
    out, err = waiter.communicate(timeout=600)
    assert waiter.returncode == 0, err
    assert time.time() >= first_done
    assert out.startswith("index is up to date: 250 articles unchanged, nothing embedded"), out
    print(f"\nsecond ingest refused in {refused_after:.1f}s; --wait finished after the first")
