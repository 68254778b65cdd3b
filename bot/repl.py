"""`newsbot repl`: an interactive conversation in the terminal (prompt_toolkit), with follow-ups.

The prompt appears at once; the model and index load in a background thread while the user types.
With `--sync-every DURATION` the REPL syncs its sources itself (bot/sources/schedule.py), so the next
question is answered from the articles just synced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.conversation import SessionStore
from bot.errors import IndexEmptyError, NewsbotError
from bot.schema import Answer
from bot.settings import Settings, add_answerer_argument
from bot.sources.schedule import SyncLoop, add_sync_argument, start_sync_loop

HELP = """Ask a question about the articles, then follow-ups ("and when?", "what would they buy?").
Commands:
  :help              this text
  :sources           full quotes of the last answer's citations
  :why               the standalone query used for retrieval, and the passages with their scores
  :as-of YYYY-MM-DD  answer as of a date (ignore later articles); ':as-of off' to clear
  :reset             forget the conversation so far
  :quit              leave (Ctrl-D works too; Ctrl-C cancels the answer in progress)"""


def register_cli(subparsers: Any) -> None:
    """Add `newsbot repl`."""
    p = subparsers.add_parser("repl", help="interactive questions and follow-ups")
    p.add_argument("--session", default=None, help="resume (and keep) a named conversation")
    p.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="answer as of this date")
    add_answerer_argument(p)
    add_sync_argument(p)
    p.set_defaults(handler=run)


class Repl:
    """The read-eval-print loop, independent of how lines are read (testable without a terminal)."""

    def __init__(self, settings: Settings, session: str | None = None, as_of: dt.date | None = None,
                 write: Callable[[str], None] = print) -> None:
        from bot.pipeline import Pipeline

        self.settings = settings
        self.pipeline = Pipeline(settings)
        self.sessions = SessionStore(settings.state_location)
        self.key = f"repl:{session}" if session else None
        self.conversation = self.sessions.load(self.key) if self.key else self.sessions.load("repl:__scratch__")
        if not self.key:
            self.conversation.reset()
        self.as_of = as_of
        self.last: Answer | None = None
        self.write = write
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.sync: SyncLoop | None = None

    def start_warm_up(self) -> None:
        """Load the model and index in the background."""
        def warm() -> None:
            try:
                self.pipeline.warm_up()
            except BaseException as exc:  # noqa: BLE001 - reported on the first question
                self._error = exc
            finally:
                self._ready.set()

        threading.Thread(target=warm, name="warm-up", daemon=True).start()

    def start_sync(self, every_s: float | None) -> None:
        """With `--sync-every`, sync the sources from this process on that schedule (after warm-up)."""
        self.sync = start_sync_loop(self.pipeline, every_s, ready=self._ready)

    def close(self) -> None:
        """Stop the sync loop (a run in progress stops fetching and indexes what it has)."""
        if self.sync is not None:
            self.sync.stop()

    def greeting(self) -> str:
        """What the REPL says first."""
        counts = self.pipeline.state.counts()
        if counts["chunks"] == 0:
            return (f"newsbot: the index in {self.settings.data_dir} is empty. Run `newsbot ingest` "
                    f"(reads {self.settings.corpus_dir}/) or `newsbot ingest PATH...`, then come back. :quit to leave.")
        return (f"newsbot: {counts['articles']} articles, {counts['chunks']} passages. "
                "Ask a question; :help for commands, Ctrl-D to quit.")

    def handle(self, line: str) -> bool:
        """Handle one input line; False when the user wants to leave."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return self.command(line)
        self._ready.wait()
        if self._error is not None:
            err, self._error = self._error, None
            if isinstance(err, NewsbotError):
                self.write(f"error: {err}")
                return True
        streamed: list[str] = []

        def show(token: str) -> None:
            # Checked sentences as the model writes them; the answer with its sources follows.
            streamed.append(token)
            sys.stdout.write(token)
            sys.stdout.flush()

        def quick(answer: Answer) -> None:
            # Within a second: the articles being read and the quoted answer, while the model writes.
            self.write(render_quick(answer))

        try:
            answer = self.pipeline.ask(line, as_of=self.as_of, conversation=self.conversation, on_token=show,
                                       on_quick=quick)
        except IndexEmptyError as exc:
            self.write(str(exc))
            return True
        except NewsbotError as exc:
            self.write(f"error: {exc}")
            return True
        if streamed:
            sys.stdout.write("\n")
        self.last = answer
        if self.key:
            self.sessions.save(self.key, self.conversation)
        if streamed and " ".join("".join(streamed).split()) == " ".join(answer.text.split()):
            self.write(render(answer, with_text=False))  # the text is on screen already
        else:
            if streamed:
                self.write("Checked answer:")
            self.write(render(answer))
        return True

    def command(self, line: str) -> bool:
        """Handle a :command."""
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        if name in (":quit", ":q", ":exit"):
            return False
        if name == ":help":
            self.write(HELP)
        elif name == ":reset":
            self.conversation.reset()
            if self.key:
                self.sessions.reset(self.key)
            self.last = None
            self.write("Conversation reset.")
        elif name == ":sources":
            if not self.last or not self.last.citations:
                self.write("No sources yet: ask a question first.")
            for c in self.last.citations if self.last else []:
                where = c.url or c.path or ""
                self.write(f"[{c.n}] {c.label} {c.source or ''} {c.published or ''} {where}".rstrip())
                self.write(f'    "{c.quote}"')
        elif name == ":why":
            if not self.last:
                self.write("Nothing asked yet.")
            else:
                self.write(f"standalone query: {self.last.standalone_query}")
                for i, h in enumerate(self.last.hits, 1):
                    p = h.passage
                    snippet = " ".join(p.text.split())[:160]
                    self.write(f"  {i}. score {h.score:.4f} (dense #{h.dense_rank or '-'}, bm25 #{h.lexical_rank or '-'}) "
                               f"{p.title or p.article_id}: {snippet}")
        elif name == ":as-of":
            if arg in ("", "off", "none"):
                self.as_of = None
                self.write("as-of cleared: all articles.")
            else:
                try:
                    self.as_of = dt.date.fromisoformat(arg)
                    self.write(f"Answering as of {self.as_of.isoformat()}.")
                except ValueError:
                    self.write(f"{arg!r} is not a date: use YYYY-MM-DD")
        else:
            self.write(f"unknown command {name}; :help lists them")
        return True


def render_quick(answer: Answer) -> str:
    """The preliminary answer: the articles being read (title, outlet, date) and the quoted answer,
    marked as preliminary while the model writes (nothing quoted when the quote abstains)."""
    lines = [answer.reading()]
    if not answer.abstained:
        lines.append(f"Preliminary (quoted from the articles; the model's answer follows): {answer.quoted()}")
    return "\n".join(lines)


def render(answer: Answer, with_text: bool = True) -> str:
    """An answer with its numbered sources (only the sources when the text was streamed)."""
    lines = [answer.text] if with_text else []
    if answer.abstained:
        lines.append("(Try rephrasing, or naming the company, person or place you mean.)")
    for c in answer.citations:
        meta = ", ".join(x for x in (c.source, c.published) if x)
        lines.append(f"  [{c.n}] {c.label}{' — ' + meta if meta else ''} — {c.url or c.path or ''}")
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of `newsbot repl`."""
    repl = Repl(settings, session=args.session, as_of=args.as_of)
    repl.start_warm_up()
    repl.start_sync(getattr(args, "sync_every", None))
    print(repl.greeting(), flush=True)
    read = _reader(settings.data_dir / "repl_history")
    try:
        while True:
            try:
                line = read()
            except EOFError:
                print("bye")
                return 0
            except KeyboardInterrupt:
                continue
            try:
                if not repl.handle(line):
                    print("bye")
                    return 0
            except KeyboardInterrupt:
                print("(cancelled)")
            sys.stdout.flush()
    finally:
        repl.close()


def _reader(history: Path) -> Callable[[], str]:
    """prompt_toolkit with persistent history on a terminal; plain input() otherwise."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        history.parent.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
        return lambda: session.prompt("newsbot> ")
    return lambda: input("newsbot> ")
