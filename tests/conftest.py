"""Shared fixtures: real parts built on temporary folders."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.embed import HashEmbedder, MiniLMEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The real packaged embedding model, loaded once per test session."""
    embedder = MiniLMEmbedder()
    embedder.warm_up()
    return embedder


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    """A deterministic fake embedder for tests about something other than embeddings."""
    return HashEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir and the shipped corpus."""
    return Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)


@pytest.fixture(scope="session")
def corpus_pipeline(tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMEmbedder) -> Pipeline:
    """A pipeline with the shipped corpus ingested (real model, real Chroma), shared by read-only tests."""
    data = tmp_path_factory.mktemp("corpus-index")
    pipeline = Pipeline(Settings(data_dir=data, corpus_dir=CORPUS), embedder=minilm)
    report = pipeline.ingest([CORPUS])
    assert report.added >= 1 and not report.skipped
    return pipeline


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on 127.0.0.1, for the tests that run against server Chroma."""
    chroma = shutil.which("chroma", path=str(VENV_BIN)) or shutil.which("chroma")
    assert chroma, "the chroma CLI (from the chromadb wheel) is missing"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "w")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((path / "server.log").read_text())
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("chroma run did not start within 60 s")
    yield "127.0.0.1", port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
