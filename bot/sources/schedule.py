"""`--sync-every DURATION`: a serving process (Slack bot, REPL) syncs its sources on a schedule.

`SyncLoop` runs `sync_sources` for every source in sources.toml (re-read each run, so an edit needs
no restart) in one background thread of the process that answers, through that process's own
pipeline: the same Chroma client, BM25 index and state DB the retriever reads, so a synced article
is answered from at once (embedded Chroma included), and the process is the index's single writer.

- Each write takes the ingest lock an ingest takes; a run that finds it held (another `newsbot
  ingest` or `sync`) is skipped and logged, never queued; so is a tick that passed while a long run
  was still going.
- A failed URL, an unreadable sources.toml or any other error is logged (urls without their query
  strings or user info, which may hold keys) and the loop goes on.
- `stop()` ends the loop: a run in progress stops fetching, indexes what it already fetched, and
  keeps no feed validators, so the next run reads the feeds in full.
"""

from __future__ import annotations

import argparse
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.errors import ConfigError, IndexBusyError, NewsbotError
from bot.ingest import ingest_lock
from bot.sources.config import SourcesConfig, load_sources, parse_every
from bot.sources.sync import SyncReport, sync_sources

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

# A url's scheme, user info (dropped), host and path (kept), query (dropped), up to '#', a space or 'URL: '.
_URL = re.compile(r"(https?://)(?:[^/@\s]*@)?([^\s?#]+?)(?:\?[^\s#]*?)?(?=#|:?\s|:?$)")


def duration(value: str) -> float:
    """argparse type for `--sync-every`: '30s', '15m', '1h' (or seconds) -> seconds."""
    try:
        seconds = parse_every(value, "")
    except ConfigError:
        seconds = None
    if seconds is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration such as 30s, 15m or 1h")
    return seconds


def add_sync_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--sync-every DURATION` to a serving command."""
    parser.add_argument(
        "--sync-every", type=duration, default=None, metavar="DURATION",
        help="sync the sources in sources.toml (or NEWSBOT_SOURCES) from this process every DURATION "
        "(30s, 15m, 1h) and answer from new articles at once",
    )


def redact(text: str) -> str:
    """Text with every url's user info and query string removed (they may carry keys)."""
    return _URL.sub(lambda m: m.group(1) + m.group(2), text)


class SyncLoop:
    """Syncs every configured source every `every_s` seconds in a background thread."""

    def __init__(
        self,
        pipeline: Pipeline,
        every_s: float,
        *,
        load: Callable[[], SourcesConfig] = load_sources,
        ready: threading.Event | None = None,
        on_synced: Callable[[SyncReport], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.every_s = every_s
        self.load = load
        self.ready = ready
        self.on_synced = on_synced
        self.runs = 0
        self.skipped = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SyncLoop:
        """Start the loop (the first run once `ready` is set, then every `every_s` seconds)."""
        self._thread = threading.Thread(target=self._loop, name="newsbot-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the loop and wait up to `timeout` s for a run in progress; False when it was still going."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        if self.ready is not None:
            while not self.ready.wait(0.2):
                if self._stop.is_set():
                    return
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.run_once()
            next_at += self.every_s
            now = time.monotonic()
            if now > next_at:  # the run took longer than the interval: missed ticks are skipped
                missed = int((now - next_at) // self.every_s) + 1
                self.skipped += missed
                log.info("sync: the last run took longer than --sync-every; %d run(s) skipped", missed)
                next_at += missed * self.every_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))
        log.info("sync: stopped")

    def run_once(self) -> SyncReport | None:
        """One run over every configured source; None when it was skipped or failed (logged)."""
        self.runs += 1
        try:
            config = self.load()
            if not config.sources:
                log.warning("sync: no sources to sync: add [sources.NAME] tables to ./sources.toml "
                            "(or the file NEWSBOT_SOURCES names)")
                return None
            with ingest_lock(self.pipeline.settings.data_dir), self.pipeline.state.writer_lock():
                pass  # another ingest is writing: skip this run rather than fetch for nothing
            report = sync_sources(self.pipeline, config.sources, options=config.fetch, stop=self._stop,
                                  on_skip=lambda s: log.warning("sync: %s", redact(str(s))))
        except IndexBusyError:
            self.skipped += 1
            log.info("sync: another ingest holds the index lock; this run is skipped")
            return None
        except NewsbotError as exc:
            self.last_error = redact(str(exc))
            log.error("sync failed: %s", self.last_error)
            return None
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any one run
            self.last_error = redact(f"{type(exc).__name__}: {exc}")
            log.error("sync failed: %s", self.last_error)
            return None
        self.last_error = None
        for r in report.sources:
            if r.new or r.updated or r.removed or r.failed:
                log.info("sync: %s", redact(r.summary()))
        if self.on_synced is not None:
            self.on_synced(report)
        return report


def start_sync_loop(
    pipeline: Pipeline,
    every_s: float | None,
    *,
    ready: threading.Event | None = None,
    on_synced: Callable[[SyncReport], None] | None = None,
) -> SyncLoop | None:
    """A started `SyncLoop` when `--sync-every` was given (the sources file is checked first), else None."""
    if every_s is None:
        return None
    # A broken or empty sources.toml is one line at start, not a log line every interval.
    if not load_sources().sources:
        raise ConfigError("--sync-every has nothing to sync: add [sources.NAME] tables with url = \"...\" "
                          "to ./sources.toml (or the file NEWSBOT_SOURCES names)")
    loop = SyncLoop(pipeline, every_s, ready=ready, on_synced=on_synced)
    log.info("sync: syncing the sources every %s", _human(every_s))
    return loop.start()


def _human(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
