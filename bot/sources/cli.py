"""`newsbot sync` and `newsbot sources`: live sources at the command line (`newsbot ingest URL...` is
bot/cli.py's, through `sync_urls`).

Every failed URL is one 'URL: reason' line on stderr; the exit code is 3 when any was skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from bot.schema import Skipped
from bot.settings import Settings
from bot.sources.config import Source, SourcesConfig, load_sources
from bot.sources.sync import SyncReport, source_status, sync_sources

EXIT_OK = 0
EXIT_SKIPPED = 3


def register_cli(subparsers: Any) -> None:
    """Add `newsbot sync` and `newsbot sources`."""
    p = subparsers.add_parser("sync", help="sync every source in sources.toml (feeds, sitemaps, pages, folders)")
    p.add_argument("names", nargs="*", help="only these sources (default: all)")
    p.add_argument("--force", action="store_true", help="also sync sources whose `every` interval has not passed")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_sync)
    p = subparsers.add_parser("sources", help="list sources with their last sync, article counts and last error")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_sources)


def _pick(config: SourcesConfig, names: Sequence[str]) -> list[Source]:
    from bot.errors import ConfigError

    if not config.sources:
        raise ConfigError("no sources: add [sources.NAME] tables with url = \"...\" to ./sources.toml "
                          "(or the file NEWSBOT_SOURCES names)")
    known = {s.name: s for s in config.sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"{config.path}: no source named {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names] if names else list(config.sources)


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot sync."""
    from bot.pipeline import Pipeline

    config = load_sources()
    sources = _pick(config, args.names)
    report = sync_sources(Pipeline(settings), sources, progress=True, force=args.force, options=config.fetch,
                          on_skip=_print_skip)
    return _finish(report, args.json)


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot sources."""
    from bot.pipeline import Pipeline

    config = load_sources()
    rows = source_status(Pipeline(settings), _pick(config, ()))
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rows:
        when = (dt.datetime.fromtimestamp(r["last_sync"]).isoformat(timespec="seconds")
                if r["last_sync"] is not None else "never")
        print(f"{r['name']}  [{r['kind']}] {r['url']}")
        print(f"    last sync: {when}; articles: {r['articles']}; last error: {r['last_error'] or 'none'}")
    return EXIT_OK


def _print_skip(skip: Skipped) -> None:
    print(str(skip), file=sys.stderr)


def _finish(report: SyncReport, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.summary())
    return EXIT_SKIPPED if report.failed else EXIT_OK
