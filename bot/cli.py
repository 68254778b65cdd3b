"""The `newsbot` command: ingest, ask, stats, and the front ends (repl, slack, eval, bench).

Domain errors become one line on stderr and a non-zero exit here, at the edge.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from bot import __version__
from bot.errors import IndexEmptyError, NewsbotError
from bot.settings import ANSWERER_NAMES, EMBEDDERS, Settings, add_answerer_argument

if TYPE_CHECKING:
    from bot.schema import Answer, Citation

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_SKIPPED = 3

# Front ends that add their own subcommands through `register_cli(subparsers)`.
FRONT_ENDS = ("bot.repl", "bot.slack.cli", "bot.evaluation.cli", "bot.evaluation.bench", "bot.sources.cli", "bot.doctor")


def parse_day(value: str) -> dt.date:
    """argparse type for YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def add_query_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `ask` and other question front ends."""
    p.add_argument("--as-of", type=parse_day, help="answer as of this date: ignore later articles, prefer recent ones")
    p.add_argument("-k", type=int, default=None, help="number of passages to retrieve (default NEWSBOT_TOP_K or 5)")
    p.add_argument("--source", action="append", default=[], help="only articles from this outlet (repeatable)")
    p.add_argument("--since", type=parse_day, help="only articles published on or after this date")
    p.add_argument("--until", type=parse_day, help="only articles published on or before this date")


# Commands that answer questions: `auto` is resolved for them, with one line on stderr saying which.
ANSWERING = ("ask", "repl", "slack", "eval")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="newsbot", description="Answers questions from news articles, with citations.")
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--data-dir", type=Path, help="index location (default NEWSBOT_DATA_DIR or .newsbot)")
    parser.add_argument("--embedder", choices=EMBEDDERS, help="embedding model (default NEWSBOT_EMBEDDER or minilm-int8)")
    parser.add_argument("--answerer", choices=ANSWERER_NAMES, help="answerer (default NEWSBOT_ANSWERER or auto)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("ingest", help="sync files and folders into the index (default: corpus/)")
    p.add_argument("paths", nargs="*", help="files or folders (.md .txt .html .json .jsonl), or http(s) URLs of feeds, sitemaps or pages")
    p.add_argument("--wait", action="store_true", help="wait for another running ingest instead of exiting")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question", help="the question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--session", help="keep a conversation under this name, so follow-ups work")
    p.add_argument("--quick", action="store_true",
                   help="the evidence answer alone: the best-supported sentences quoted, no model to load or wait for")
    add_query_options(p)
    add_answerer_argument(p)
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("stats", help="articles, chunks, store location and model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)

    for name in FRONT_ENDS:
        importlib.import_module(name).register_cli(sub)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with global flags applied; `auto` resolved for answering commands."""
    settings = Settings.from_env(data_dir=args.data_dir, embedder=args.embedder, answerer=args.answerer)
    if getattr(args, "quick", False):  # `ask --quick`: the quoted evidence answer, whatever answers by default
        return settings.with_(answerer="extractive")
    if settings.answerer == "auto" and args.command in ANSWERING and getattr(args, "eval_command", None) != "compare":
        from bot.pipeline import resolve_answerer

        name, note = resolve_answerer(settings)
        print(f"newsbot: {note}", file=sys.stderr)
        settings = settings.with_(answerer=name)
    return settings


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot ingest."""
    from bot.pipeline import Pipeline

    urls = [a for a in args.paths if a.startswith(("http://", "https://"))]
    paths = [Path(a) for a in args.paths if a not in urls]
    code = EXIT_OK
    pipeline = Pipeline(settings)
    if urls:
        from bot.sources.config import load_sources
        from bot.sources.sync import sync_urls

        synced = sync_urls(pipeline, urls, options=load_sources().fetch, on_skip=lambda s: print(str(s), file=sys.stderr))
        print(json.dumps(synced.to_json(), indent=2) if args.json else synced.summary())
        code = EXIT_SKIPPED if synced.failed else EXIT_OK
        if not paths:
            return code
    report = pipeline.ingest(
        paths or None,
        progress=True,
        on_skip=lambda s: print(str(s), file=sys.stderr),
        wait=args.wait,
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.summary())
    return EXIT_SKIPPED if report.skipped or code else EXIT_OK


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot ask."""
    from bot.conversation import SessionStore
    from bot.pipeline import Pipeline

    pipeline = Pipeline(settings)
    pipeline.follow_index()  # on a shared database: this host's BM25 copy brought up to the others' ingests
    store = SessionStore(settings.state_location) if args.session else None
    conv = store.load(f"cli:{args.session}") if store else None
    answer = pipeline.ask(
        args.question, as_of=args.as_of, k=args.k, sources=args.source, since=args.since, until=args.until,
        conversation=conv,
    )
    if store is not None and conv is not None:
        store.save(f"cli:{args.session}", conv)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer))
    return EXIT_OK


def render_answer(answer: Answer) -> str:
    """An answer and its sources as plain text for a terminal."""
    lines = [answer.text]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.n}] {describe_source(c)}")
    return "\n".join(lines)


def describe_source(c: Citation) -> str:
    """'Title — Outlet, date — url or file' with whatever the article has (an untitled article by
    its first words)."""
    title = c.label
    meta = ", ".join(x for x in (c.source, c.published) if x)
    where = c.url or c.path or ""
    parts = [title] + ([meta] if meta else []) + ([where] if where else [])
    return " — ".join(parts)


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot stats."""
    from bot.pipeline import Pipeline

    stats = Pipeline(settings).stats()
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key:>12}: {value}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsbot` console command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command in ("ingest", "slack", "eval", "bench") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "httpx", "urllib3", "sentence_transformers", "transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = settings_from(args)
        return int(args.handler(args, settings))
    except IndexEmptyError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("newsbot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
