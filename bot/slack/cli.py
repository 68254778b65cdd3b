"""`newsbot slack --http|--socket`, `newsbot slack manifest` and `newsbot feedback export`.

On SIGTERM the server stops accepting, `/readyz` turns 503, the sync loop starts no new run, and
the answers already taken (and a sync in progress) are finished (`SlackBot.drain`) before the
process exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.settings import Settings, add_answerer_argument
from bot.slack import manifest
from bot.slack.app import DRAIN_S, build_bot, check_config, connect_socket
from bot.slack.server import EVENTS_PATH, HEALTH_PATH, LIVE_PATH, READY_PATH, HttpServer
from bot.slack.state import SlackState
from bot.sources.schedule import add_sync_argument

__all__ = ["cmd_feedback_export", "cmd_slack", "cmd_slack_manifest", "register_cli"]

log = logging.getLogger(__name__)


def register_cli(subparsers: Any) -> None:
    """Add `newsbot slack [manifest]` and `newsbot feedback export`."""
    p = subparsers.add_parser("slack", help="run the Slack bot (Events API over HTTP, or Socket Mode)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--http", action="store_true", help=f"serve {EVENTS_PATH}, {LIVE_PATH}, {READY_PATH} and {HEALTH_PATH} over HTTP")
    mode.add_argument("--socket", action="store_true", help="connect with Socket Mode (SLACK_APP_TOKEN)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="port to bind with --http (default 3000)")
    p.add_argument("--drain-seconds", type=float, default=DRAIN_S, metavar="S",
                   help=f"on SIGTERM, how long answers in flight may take before exiting (default {DRAIN_S:.0f})")
    add_answerer_argument(p)
    add_sync_argument(p)
    p.set_defaults(handler=cmd_slack)
    sub = p.add_subparsers(dest="slack_command", metavar="ACTION")
    m = sub.add_parser("manifest", help="print the Slack app manifest (Create an app -> From a manifest)")
    where = m.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", metavar="https://HOST", help="the public address Slack sends events to (HTTP mode)")
    where.add_argument("--socket", action="store_true", help="an app for Socket Mode (no public address)")
    m.add_argument("--format", choices=("json", "yaml"), default="json", help="output format (default json)")
    m.set_defaults(handler=cmd_slack_manifest)

    f = subparsers.add_parser("feedback", help="the 👍/👎 feedback collected in Slack")
    fsub = f.add_subparsers(dest="feedback_command", metavar="ACTION")
    fsub.required = True
    e = fsub.add_parser("export", help="write every vote as JSON Lines")
    e.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    e.set_defaults(handler=cmd_feedback_export)


def cmd_slack_manifest(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot slack manifest --url https://HOST | --socket [--format json|yaml]."""
    sys.stdout.write(manifest.dump(manifest.render(url=args.url, socket=bool(args.socket)), args.format))
    return 0


def _on_signal(signum: int, _frame: Any) -> None:
    log.info("signal %d: already stopping", signum)


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot slack --http | --socket: serve until SIGTERM/SIGINT, then finish the answers in flight."""
    from bot.pipeline import Pipeline

    if not (args.http or args.socket):
        raise ConfigError("newsbot slack needs --http or --socket (or the manifest action: newsbot slack manifest --help)")
    check_config(settings, socket_mode=bool(args.socket))  # before opening anything
    main = threading.current_thread() is threading.main_thread()
    if args.socket:
        bot = build_bot(settings, Pipeline(settings), socket_mode=True)
        bot.start()
        bot.start_sync(args.sync_every)
        if main:
            signal.signal(signal.SIGTERM, signal.default_int_handler)
        handler = connect_socket(bot)
        log.info("connected to Slack with Socket Mode")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            log.info("stopping: no new events; finishing the answers in flight (at most %.0f s)", args.drain_seconds)
        finally:
            handler.close()  # type: ignore[no-untyped-call]
            if main:
                signal.signal(signal.SIGTERM, _on_signal)
            bot.drain(args.drain_seconds)
        return 0
    bot = build_bot(settings, Pipeline(settings))
    bot.start()
    bot.start_sync(args.sync_every)
    server = HttpServer(bot, args.host, args.port)
    if main:
        # uvicorn takes SIGTERM/SIGINT while serving (stop accepting, finish requests in flight) and
        # raises the signal again when it returns: then the answers already taken are drained below
        signal.signal(signal.SIGTERM, _on_signal)
    log.info("serving Slack events on %s%s (live: %s%s, ready: %s%s)",
             server.url, EVENTS_PATH, server.url, LIVE_PATH, server.url, READY_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping: no new requests; finishing the answers in flight (at most %.0f s)", args.drain_seconds)
        bot.drain(args.drain_seconds)
    log.info("stopped")
    return 0


def cmd_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feedback export [-o FILE]."""
    state = SlackState(settings.state_location, dedup_ttl_s=settings.dedup_ttl_s)
    if args.output is None:
        n = state.export_feedback(sys.stdout)
    else:
        try:
            with args.output.open("w", encoding="utf-8") as out:
                n = state.export_feedback(out)
        except OSError as exc:
            raise ConfigError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    print(f"newsbot: exported {n} feedback record{'s' if n != 1 else ''}", file=sys.stderr)
    return 0
