"""The Slack tests' fixtures: the real pipeline over a small corpus, the fake Slack Web API, and
`serve`, which builds and serves a bot against them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_fake import FakeSlack
from slack_support import APP_TOKEN, ARTICLES, BOT_TOKEN, SECRET, Running

from bot.embed import MiniLMEmbedder
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.slack.app import HttpServer, build_bot


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMEmbedder) -> Pipeline:
    """The real pipeline (real model, real Chroma) over ARTICLES, shared read-only by the Slack tests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("slack-index"))
    pipe = Pipeline(settings, embedder=minilm)
    pipe.ingest_articles(ARTICLES)
    pipe.warm_up()
    return pipe


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as f:
        yield f


@pytest.fixture
def serve(tmp_path: Path, fake: FakeSlack, pipeline: Pipeline) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(pipe: Pipeline | None = None, **changes: Any) -> Running:
        settings = Settings(
            data_dir=tmp_path / f"bot{len(started)}",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
        ).with_(**changes)
        bot = build_bot(settings, pipe or pipeline)
        bot.start()
        server = HttpServer(bot, "127.0.0.1", 0).start()
        running = Running(bot, server, fake, settings.slack_signing_secret or "")
        started.append(running)
        return running

    yield start
    for running in started:
        running.server.shutdown()
        running.bot.close()
