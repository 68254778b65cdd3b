"""One frozen settings object, read from the environment in one place (`Settings.from_env`)."""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError


@dataclass(frozen=True)
class Component:
    """A name settings accept for a pluggable part: what it is (for help texts) and its factory,
    `module:function`, imported only when that part is built (`load`), so the local model's
    libraries load only for the local answerer."""

    name: str
    help: str
    factory: str = ""

    def load(self) -> Callable[..., Any]:
        """The factory function (an answerer's: `(settings, embedder) -> Answerer`)."""
        module, function = self.factory.split(":")
        factory: Callable[..., Any] = getattr(importlib.import_module(module), function)
        return factory


# The one registry of answerer names: settings validate NEWSBOT_ANSWERER against it, the CLI offers it
# as --answerer's choices, the pipeline builds from it (bot/pipeline.py `make_answerer`).
ANSWERERS: dict[str, Component] = {
    c.name: c
    for c in (
        Component("auto", "the local model when `make local` installed it, else the extractive answerer"),
        Component("extractive", "quotes the best-supported sentences; no model", "bot.answer.extractive:make_extractive"),
        Component("local", "Qwen2.5-Coder-1.5B through llama.cpp, offline", "bot.answer.generate:make_local_answerer"),
        Component("llm", "a LangChain chat model named by NEWSBOT_LLM", "bot.answer.generate:make_chat_answerer"),
    )
}
ANSWERER_NAMES: tuple[str, ...] = tuple(ANSWERERS)
EMBEDDERS = ("minilm", "minilm-int8", "http")
# What an unset NEWSBOT_EMBEDDER / NEWSBOT_ANSWERER means (the product's defaults). `Settings()` built
# in code keeps the plain fp32 embedder and the extractive answerer: deterministic, no optional extra.
ENV_DEFAULT_EMBEDDER = "minilm-int8"
ENV_DEFAULT_ANSWERER = "auto"


@dataclass(frozen=True)
class Settings:
    """Everything newsbot can be configured with; tests build it directly.

    `answerer="auto"` means the local model when its extra is installed, else the extractive
    answerer (`bot.pipeline.resolve_answerer`). `from_env` defaults to `auto` and `minilm-int8`.
    """

    data_dir: Path = Path(".newsbot")
    corpus_dir: Path = Path("corpus")
    chroma_host: str | None = None
    chroma_port: int | None = None
    chroma_shard_chunks: int = 200_000
    embedder: str = "minilm"
    embeddings_url: str | None = None
    embeddings_model: str = "all-MiniLM-L6-v2"
    embeddings_api_key: str | None = field(default=None, repr=False)
    answerer: str = "extractive"
    llm: str | None = None
    llm_base_url: str | None = None
    llm_timeout_s: float = 60.0
    llama_repack: str = "auto"
    top_k: int = 5
    candidates: int = 40
    chunk_tokens: int = 160
    chunk_overlap_sentences: int = 1
    max_question_chars: int = 1000
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    slack_channels: tuple[str, ...] = ()
    slack_workers: int = 4
    slack_user_rate: int = 10
    dedup_ttl_s: int = 3600
    database_url: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read NEWSBOT_* (and SLACK_*) variables; keyword overrides win (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {"embedder": ENV_DEFAULT_EMBEDDER, "answerer": ENV_DEFAULT_ANSWERER}

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def integer(name: str) -> int | None:
            value = text(name)
            if value is None:
                return None
            try:
                return int(value)
            except ValueError:
                raise ConfigError(f"{name}={value!r} is not an integer") from None

        if (v := text("NEWSBOT_DATA_DIR")) is not None:
            values["data_dir"] = Path(v)
        if (v := text("NEWSBOT_CORPUS")) is not None:
            values["corpus_dir"] = Path(v)
        if (v := text("NEWSBOT_CHROMA_HOST")) is not None:
            values["chroma_host"] = v
        if (p := integer("NEWSBOT_CHROMA_PORT")) is not None:
            values["chroma_port"] = p
        for key, name in (
            ("embedder", "NEWSBOT_EMBEDDER"),
            ("embeddings_url", "NEWSBOT_EMBEDDINGS_URL"),
            ("embeddings_model", "NEWSBOT_EMBEDDINGS_MODEL"),
            ("embeddings_api_key", "NEWSBOT_EMBEDDINGS_API_KEY"),
            ("answerer", "NEWSBOT_ANSWERER"),
            ("llm", "NEWSBOT_LLM"),
            ("llm_base_url", "NEWSBOT_LLM_BASE_URL"),
            ("llama_repack", "NEWSBOT_LLAMA_REPACK"),
            ("slack_bot_token", "SLACK_BOT_TOKEN"),
            ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
            ("slack_app_token", "SLACK_APP_TOKEN"),
            ("slack_api_url", "NEWSBOT_SLACK_API_URL"),
            ("database_url", "NEWSBOT_DATABASE_URL"),
        ):
            if (v := text(name)) is not None:
                values[key] = v
        for key, name in (
            ("top_k", "NEWSBOT_TOP_K"),
            ("chroma_shard_chunks", "NEWSBOT_CHROMA_SHARD_CHUNKS"),
            ("max_question_chars", "NEWSBOT_MAX_QUESTION_CHARS"),
            ("slack_workers", "NEWSBOT_SLACK_WORKERS"),
            ("slack_user_rate", "NEWSBOT_SLACK_USER_RATE"),
        ):
            if (i := integer(name)) is not None:
                values[key] = i
        if (v := text("NEWSBOT_SLACK_CHANNELS")) is not None:
            values["slack_channels"] = tuple(c.strip() for c in v.split(",") if c.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def validate(self) -> None:
        """Raise ConfigError naming the variable when a setting cannot work."""
        if self.embedder not in EMBEDDERS:
            raise ConfigError(
                f"NEWSBOT_EMBEDDER={self.embedder!r} is unknown; valid: {', '.join(EMBEDDERS)}"
            )
        if self.answerer not in ANSWERER_NAMES:
            raise ConfigError(
                f"NEWSBOT_ANSWERER={self.answerer!r} is unknown; valid: {', '.join(ANSWERER_NAMES)}"
            )
        if self.llama_repack not in ("auto", "on", "off"):
            raise ConfigError(f"NEWSBOT_LLAMA_REPACK={self.llama_repack!r} must be auto, on or off")
        if (self.chroma_host is None) != (self.chroma_port is None):
            raise ConfigError("set both NEWSBOT_CHROMA_HOST and NEWSBOT_CHROMA_PORT, or neither")
        if self.embedder == "http" and not self.embeddings_url:
            raise ConfigError("NEWSBOT_EMBEDDER=http needs NEWSBOT_EMBEDDINGS_URL")
        if self.answerer == "llm" and not self.llm:
            raise ConfigError("NEWSBOT_ANSWERER=llm needs NEWSBOT_LLM=provider:model (e.g. openai:gpt-4.1-mini)")
        if self.chroma_shard_chunks < 0:
            raise ConfigError("NEWSBOT_CHROMA_SHARD_CHUNKS must be 0 (no shards) or more")
        if self.top_k < 1:
            raise ConfigError("NEWSBOT_TOP_K must be at least 1")
        if self.database_url is not None and self.database_url.split("://", 1)[0].lower() not in (
            "postgresql", "postgres", "postgresql+psycopg", "sqlite"
        ):
            raise ConfigError(
                "NEWSBOT_DATABASE_URL must be a postgresql:// url (e.g. postgresql://newsbot@db.internal:5432/newsbot)"
            )

    @property
    def state_path(self) -> Path:
        """SQLite file holding sync state, chunk texts, sessions, dedup and feedback (when no database url is set)."""
        return self.data_dir / "state.db"

    @property
    def state_location(self) -> Path | str:
        """Where the state, sessions and Slack stores live: NEWSBOT_DATABASE_URL, else the SQLite file."""
        return self.database_url or self.state_path


def add_answerer_argument(parser: argparse.ArgumentParser) -> None:
    """`--answerer NAME` on a subcommand: the names of NEWSBOT_ANSWERER; an unknown one lists them."""
    parser.add_argument(
        "--answerer", choices=ANSWERER_NAMES, default=argparse.SUPPRESS,
        help="auto (the local model when installed, else extractive), extractive, local or llm "
        "(default NEWSBOT_ANSWERER or auto)",
    )
