"""The Slack front end: a bolt app answering @mentions, DMs, `/ask`, thread follow-ups and the assistant view.

`build_bot(settings, pipeline)` assembles it (`create_app` returns just the bolt `App`); `register`
adds the listeners; `HttpServer` (bot/slack/server.py, uvicorn) serves `SlackBot.dispatch_http`
plus `/livez`, `/readyz` and `/healthz`; `socket_handler` runs it over Socket Mode. `newsbot slack
--http|--socket`, `newsbot slack manifest` and `newsbot feedback export` are added to the CLI by
`register_cli`.

How a question flows: the listener acknowledges at once (bolt answers Slack's HTTP request when
the listener returns, so listeners only do a few SQLite writes), filters (own and other bots'
messages, edits, joins, channels not enabled), de-duplicates on `event_id` and on the message
itself (so an @mention delivered both as `app_mention` and `message` is answered once), applies
the per-user rate limit, and takes a ticket in the answer queue (`Turnstile`: bounded, answered in
the order taken; a question that must wait is told its place) served by `settings.slack_workers`
threads. A 👀 reaction marks the message while it is answered (in the assistant view, a status).
The answer goes in the thread, through the thread's conversation (`SessionStore`, key
`slack:{channel}:{thread_ts}`), so follow-ups are read in the light of the earlier turns. A
generative answerer's checked sentences are streamed into the thread as they pass the claim
check (`AnswerStreamer`); the sources and buttons close the stream. The extractive answerer, /ask,
and any workspace that refuses streaming get one message. A message with files attached is answered
from its text; the files are not read (the bot says so when the question asks about them).
When Slack refuses an answer's message (`invalid_blocks`, `msg_too_long`, ...), the same answer is
posted as text only, in pieces as small as Slack needs, instead of a warning that would fail again.

`/ask` posts its answer in the channel with chat.postMessage (a new message whose thread then
holds the follow-ups); when the bot is not in that channel it falls back to the command's
response_url. Channel `message` events are answered only in DMs, and in threads the bot has
answered in when the reply mentions nobody (an @mention there arrives as `app_mention`).

With `--sync-every DURATION` the bot syncs its sources itself (`SlackBot.start_sync`,
bot/sources/schedule.py) through its own pipeline, so a new article is answered from at once.

On SIGTERM the server stops accepting, `/readyz` turns 503, the sync loop starts no new run, and
the answers already taken (and a sync in progress) are finished (`SlackBot.drain`) before the
process exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Assistant, BoltContext, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.conversation import SessionStore
from bot.errors import ConfigError, IndexEmptyError, NewsbotError, QuestionError
from bot.settings import Settings, add_answerer_argument
from bot.slack import manifest
from bot.slack.queue import QueueFull, Turnstile
from bot.slack.server import EVENTS_PATH, HEALTH_PATH, LIVE_PATH, READY_PATH, HttpServer
from bot.slack.blocks import (
    REPHRASE_HINT,
    VOTE_DOWN,
    VOTE_UP,
    SlackMessage,
    answer_message,
    answer_tail,
    article_prompt,
    escape,
    notice_message,
    plain_answer,
    plain_question,
    plain_sources,
    split_text,
    thread_title,
)
from bot.slack.state import SlackState
from bot.sources.schedule import SyncLoop, add_sync_argument, start_sync_loop

if TYPE_CHECKING:
    from slack_sdk.web.chat_stream import ChatStream

    from bot.pipeline import Pipeline

__all__ = ["HttpServer", "SlackBot", "build_bot", "create_app", "make_web_client", "session_key", "socket_handler"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EYES = "eyes"
DRAIN_S = 60.0  # on SIGTERM, how long the answers in flight may take before the process exits anyway
PENDING_PER_WORKER = 16  # questions allowed to wait per worker before the bot says it is busy
RATE_WINDOW_S = 60.0
# A person's message: plain, also sent to the channel, or with files attached (the text is answered;
# the files are not read). Edits, deletions, joins and bots' messages are not questions.
_ANSWERED_SUBTYPES = (None, "thread_broadcast", "file_share")
# Slack's refusals of a message's content: the same message fails again, a plainer one does not.
REFUSED = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long"})
PLAIN_LIMITS = (3000, 1000, 300)  # text-only pieces, smaller each time Slack says the text is too long
RESPONSE_URL_USES = 5  # Slack takes at most five messages through one response_url
_LOCK_STRIPES = 64

WARN_FAILED = ":warning: Sorry, something went wrong while answering. It was logged; please try again in a moment."
WARN_EMPTY_INDEX = ":warning: I have no articles to answer from yet; an administrator needs to run `newsbot ingest`."
HINT_EMPTY = "Ask me a question about the news, for example: _Who is Xiaomi talking to?_"
BUSY = ":hourglass: I'm answering a lot of questions right now; please ask again in a minute."
GREETING = "Hi! Ask me about the news and I'll answer from the articles I have read, citing them."
FILES_NOTE = ":paperclip: I can't open attached files; I answer from the news articles I have read."
MAX_PROMPTS = 4  # Slack shows at most four suggested prompts
# Offered when the index gives none (empty, or unreadable): they get an answer or say what is missing.
GENERAL_PROMPTS = (
    {"title": "What's new?", "message": "What are the latest news?"},
    {"title": "This week", "message": "What happened this week?"},
)
# A question about attached files ("what does this PDF say?"), rather than about the news.
_ASKS_ABOUT_FILES_RE = re.compile(
    r"\b(?:attach\w*|files?|uploads?|uploaded|pdfs?|screenshots?|images?|pictures?|photos?|spreadsheets?|slides?|"
    r"(?:this|these|the|my|that)\s+(?:doc|docs|document|documents|report|sheet|deck|csv))\b",
    re.I,
)

# What the manifest (bot/slack/manifest.json) must grant for what the code does; the manifest test
# checks both ways. Events: the bot events each listener needs and their scopes.
EVENT_SCOPES: dict[str, str] = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",  # follow-ups in threads the bot answered in
    "message.groups": "groups:history",
    "message.im": "im:history",  # DMs, and the assistant view's threads
    "message.mpim": "mpim:history",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}
# Web API methods the bot calls and the bot scope each needs (None: no scope).
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.startStream": "chat:write",
    "chat.appendStream": "chat:write",
    "chat.stopStream": "chat:write",
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "assistant.threads.setStatus": "assistant:write",
    "assistant.threads.setTitle": "assistant:write",
    "assistant.threads.setSuggestedPrompts": "assistant:write",
    "apps.connections.open": None,  # the app-level token's connections:write
    "response_url": None,
}
COMMAND_SCOPE = "commands"


def check_config(settings: Settings, *, socket_mode: bool) -> None:
    """Raise ConfigError naming the first missing Slack variable."""
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: export the bot token (xoxb-...) of your Slack app")
    if socket_mode and not settings.slack_app_token:
        raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...)")
    if not socket_mode and not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: the HTTP endpoint needs it to verify Slack's requests")


def make_web_client(settings: Settings) -> WebClient:
    """The Web API client: NEWSBOT_SLACK_API_URL or Slack's, retrying connection errors and 429s."""
    base = settings.slack_api_url or DEFAULT_API_URL
    if not base.endswith("/"):
        base += "/"
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base,
        timeout=15,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


@dataclass(frozen=True)
class Question:
    """A question taken from Slack and where its answer goes."""

    channel: str
    user: str
    text: str
    thread_ts: str | None  # None: a new top-level message (/ask)
    react_ts: str | None = None  # the message that gets 👀 while answering
    response_url: str | None = None  # /ask's fallback when the bot is not in the channel
    team: str | None = None  # the workspace, which chat.startStream needs in channels
    assistant: bool = False  # asked in the assistant view: status and title go through assistant.threads.*
    about_files: bool = False  # the question asks about files attached to it, which the bot does not read

    @property
    def via_command(self) -> bool:
        """Whether the question came from /ask."""
        return self.thread_ts is None


def session_key(channel: str, thread_ts: str) -> str:
    """The conversation key of a Slack thread."""
    return f"slack:{channel}:{thread_ts}"


def _single_model(pipeline: Pipeline) -> bool:
    """Whether the answerer runs on one local model that generates one answer at a time."""
    try:
        backend = getattr(pipeline.answerer, "backend", None)
    except Exception:  # noqa: BLE001 - a broken answerer is reported when it warms up
        return False
    return getattr(backend, "_run_lock", None) is not None


def _error_of(exc: Exception) -> str:
    """Slack's error code of a failed call (or the exception's text)."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return str(exc)


def _details_of(exc: SlackApiError) -> str:
    """What Slack said was wrong, beyond the error code (invalid_blocks lists the blocks)."""
    errors = exc.response.get("errors") if exc.response is not None else None
    return f": {'; '.join(map(str, errors))}" if isinstance(errors, list) and errors else ""


def asks_about_files(question: str, files: object) -> bool:
    """Whether a question sent with files asks about them ("what does the attached PDF say?", or a
    file's name), rather than about the news."""
    if not isinstance(files, list) or not files:
        return False
    if _ASKS_ABOUT_FILES_RE.search(question):
        return True
    asked = question.lower()
    names = (str(f.get(key) or "").strip().lower() for f in files if isinstance(f, dict) for key in ("name", "title"))
    return any(len(name) >= 3 and name in asked for name in names)


class AnswerStreamer:
    """Streams checked sentences into a thread (chat.startStream/appendStream/stopStream through
    slack_sdk's `chat_stream`), one sentence per call; `finish` adds the sources and buttons.

    The first sentence starts the stream, so an answerer that never streams (the extractive one)
    never touches these methods. When Slack refuses them (an older workspace, a missing scope), the
    streamer goes quiet and `finish` returns None: the caller posts the usual single message.
    """

    def __init__(self, client: WebClient, q: Question) -> None:
        self.client = client
        self.q = q
        self.sent: list[str] = []
        self.failed = False
        self.first_at: float | None = None  # perf_counter of the first streamed words
        self._stream: ChatStream | None = None

    def append(self, text: str) -> None:
        """Send one checked piece of the answer (called by the pipeline as each sentence passes)."""
        if self.failed or not text:
            return
        piece = escape(text)
        try:
            if self._stream is None:
                self._stream = self.client.chat_stream(
                    channel=self.q.channel,
                    thread_ts=self.q.thread_ts or "",
                    recipient_team_id=self.q.team,
                    recipient_user_id=self.q.user,
                    buffer_size=1,  # every checked sentence goes out at once
                )
            self._stream.append(markdown_text=piece)
        except (SlackApiError, SlackClientError) as exc:
            log.warning("streaming into %s failed (%s); the answer comes as one message", self.q.channel, _error_of(exc))
            self.failed = True
            return
        if self.first_at is None:
            self.first_at = time.perf_counter()
        self.sent.append(piece)

    @property
    def ts(self) -> str | None:
        """The streamed message's ts once started."""
        return self._stream.ts if self._stream is not None else None

    def finish(self, answer: Any, answer_id: str, message: SlackMessage) -> str | None:
        """Close the stream with the sources and buttons; its ts, or None when nothing was streamed
        (the caller posts `message`). When the checked answer differs from what was streamed (a
        citation dropped at the end), the message is replaced by the final one."""
        if self._stream is None or self._stream.ts is None:
            return None
        ts = str(self._stream.ts)
        hint = f"\n_{REPHRASE_HINT}_" if answer.abstained else None  # as answer_message shows it
        try:
            self._stream.stop(markdown_text=hint, blocks=answer_tail(answer, answer_id))
        except (SlackApiError, SlackClientError) as exc:
            if _error_of(exc) not in REFUSED:
                log.warning("closing the stream in %s failed (%s); posting the answer as one message", self.q.channel, _error_of(exc))
                return None
            # the stream keeps the hint it could not send; the sources follow it as text
            log.warning("Slack refused the sources closing the stream in %s (%s); closing it with them as text",
                        self.q.channel, _error_of(exc))
            try:
                self._stream.stop(markdown_text=plain_sources(answer) or None)
            except (SlackApiError, SlackClientError) as again:
                log.warning("closing the stream in %s failed (%s); posting the answer as one message", self.q.channel, _error_of(again))
                return None
        if self.failed or "".join(self.sent).strip() != escape(answer.text).strip():
            try:
                self.client.chat_update(channel=self.q.channel, ts=ts, text=message.text, blocks=message.blocks)
            except (SlackApiError, SlackClientError) as exc:
                log.warning("replacing the streamed answer in %s failed: %s", self.q.channel, _error_of(exc))
                return None
        return ts


class SlackBot:
    """Takes questions from Slack listeners and answers them on a bounded pool of workers."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        client: WebClient,
        *,
        state: SlackState | None = None,
        sessions: SessionStore | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.client = client
        self.state = state or SlackState(settings.state_location, dedup_ttl_s=settings.dedup_ttl_s)
        self.sessions = sessions or SessionStore(settings.state_location)
        self.app: App | None = None
        self.ready = threading.Event()
        self.warm_error: str | None = None
        self.index_stats: dict[str, Any] = {}
        self.draining = False
        self.model_loaded = False
        workers = max(1, settings.slack_workers)
        self.max_pending = workers * PENDING_PER_WORKER
        # One local model answers one question at a time: let one through, so the others keep their
        # order and know their place; any other answerer runs on every worker.
        self.queue = Turnstile(1 if _single_model(pipeline) else workers, self.max_pending)
        self._answers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="newsbot-answer")
        self._notices = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsbot-notice")
        self._pending_lock = threading.Lock()
        self._inflight = 0  # every queued job, answers and notices
        self._idle = threading.Condition()
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self._warm_thread: threading.Thread | None = None
        self.sync: SyncLoop | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Warm the pipeline up in the background (once); questions wait for it."""
        with self._pending_lock:
            if self._warm_thread is not None:
                return
            self._warm_thread = threading.Thread(target=self._warm_up, name="newsbot-warm-up", daemon=True)
        self._warm_thread.start()

    def start_sync(self, every_s: float | None) -> None:
        """With `--sync-every`, sync the sources from this process on that schedule (after warm-up)."""
        self.sync = start_sync_loop(self.pipeline, every_s, ready=self.ready, on_synced=self._synced)

    def _synced(self, _report: object) -> None:
        """After a sync: the index's counts for /healthz and /readyz (an empty index may now hold articles)."""
        if self.warm_error is None:
            self.index_stats = {**self.index_stats, **self.pipeline.state.counts()}

    def _warm_up(self) -> None:
        started = time.perf_counter()
        try:
            self.pipeline.warm_up()
            stats = self.pipeline.stats()
            self.index_stats = {k: v for k, v in stats.items() if isinstance(v, int)}
            log.info("pipeline ready in %.1f s: %s", time.perf_counter() - started, self.index_stats)
        except Exception as exc:  # noqa: BLE001 - reported by /healthz and on each answer
            self.warm_error = f"{type(exc).__name__}: {exc}"
            log.exception("warming the pipeline up failed")
        finally:
            self.ready.set()  # questions may go ahead: the first one waits for the model if it is still loading
        if self.warm_error is not None:
            return
        started = time.perf_counter()
        try:
            warm_answerer = getattr(self.pipeline.answerer, "warm_up", None)
            if callable(warm_answerer):  # the model loads now, not on the first question
                warm_answerer()
                log.info("answerer's model loaded in %.1f s", time.perf_counter() - started)
            self.model_loaded = True
        except Exception as exc:  # noqa: BLE001 - reported by /healthz, /readyz and on each answer
            self.warm_error = f"{type(exc).__name__}: {exc}"
            log.exception("loading the answerer's model failed")

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report) for /healthz: up once warmed up; `index_loaded` when it holds chunks too."""
        up = self.ready.is_set() and self.warm_error is None
        loaded = up and self.index_stats.get("chunks", 0) > 0
        report: dict[str, Any] = {"ok": up, "index_loaded": loaded, "pending": self.queue.open}
        if self.index_stats:
            report["index"] = self.index_stats
        if self.warm_error:
            report["error"] = self.warm_error
        if self.sync is not None:
            report["sync"] = {"every_s": self.sync.every_s, "runs": self.sync.runs, "last_error": self.sync.last_error}
        return up, report

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, report) for /readyz: the index holds chunks and the model is loaded, and not draining."""
        _, report = self.health()
        ready = bool(report["index_loaded"]) and self.model_loaded and not self.draining
        report["model_loaded"] = self.model_loaded
        report["ready"] = ready
        report["draining"] = self.draining
        return ready, report

    def begin_drain(self) -> None:
        """Report not ready from now on (shutting down); answers already taken still finish."""
        if not self.draining:
            log.info("draining: %d questions taken and not yet answered", self.queue.open)
        self.draining = True
        if self.sync is not None:
            self.sync.stop(timeout=0)  # no new sync run; one in progress stops fetching

    def drain(self, timeout: float = DRAIN_S) -> bool:
        """Finish the questions already taken (within `timeout` s), then stop; False when some were cut off."""
        self.begin_drain()
        finished = self.wait_idle(timeout)
        if not finished:
            log.warning("%d questions were still being answered after %.0f s; stopping anyway", self.queue.open, timeout)
        self.close(wait=finished)
        if self.sync is not None and not self.sync.stop(timeout):
            log.warning("the sync in progress was still writing after %.0f s; stopping anyway", timeout)
        return finished

    def dispatch_http(self, body: bytes, query: str, headers: dict[str, list[str]]) -> tuple[int, dict[str, list[str]], bytes]:
        """Run one HTTP request from Slack through bolt (signature check, listeners); (status, headers, body)."""
        assert self.app is not None
        response = self.app.dispatch(BoltRequest(body=body.decode("utf-8", "replace"), query=query, headers=dict(headers)))
        out = response.body.encode("utf-8") if isinstance(response.body, str) else bytes(response.body or b"")
        return response.status, {k: list(v) for k, v in response.headers.items()}, out

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no question or notice is queued or running; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _run(self, pool: ThreadPoolExecutor, fn: Callable[..., None], *args: Any, **kwargs: Any) -> Future[None] | None:
        with self._idle:
            self._inflight += 1
        try:
            future = pool.submit(fn, *args, **kwargs)
        except RuntimeError:  # shutting down
            self._done(None)
            log.warning("shutting down; dropped a %s job", fn.__name__)
            return None
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[None] | None) -> None:
        with self._idle:
            self._inflight -= 1
            self._idle.notify_all()

    def close(self, wait: bool = True) -> None:
        """Stop taking work; with `wait`, finish the questions already taken."""
        self._answers.shutdown(wait=wait, cancel_futures=not wait)
        self._notices.shutdown(wait=wait, cancel_futures=not wait)

    # --- taking questions ----------------------------------------------------------------------
    def allowed(self, channel: str) -> bool:
        """Whether the bot answers in this channel (DMs always; others as NEWSBOT_SLACK_CHANNELS says)."""
        return not self.settings.slack_channels or channel.startswith("D") or channel in self.settings.slack_channels

    def not_enabled_text(self) -> str:
        """The notice for a channel the bot is not enabled in."""
        where = ", ".join(f"<#{c}>" for c in self.settings.slack_channels)
        return f"I'm not enabled in this channel. You can ask me in {where} or in a direct message."

    def on_message_event(
        self, event: dict[str, Any], body: dict[str, Any], bot_user_id: str | None, *, mention: bool, assistant: bool = False
    ) -> None:
        """Filter, de-duplicate and queue an `app_mention` (mention=True) or `message` event
        (`assistant`: a message in an assistant-view thread)."""
        if event.get("bot_id") or event.get("subtype") not in _ANSWERED_SUBTYPES:
            log.debug("not a question: a %s event with subtype %s", event.get("type"), event.get("subtype"))
            return
        user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
        if not user or not channel or not ts or user == bot_user_id:
            return
        text = str(event.get("text") or "")
        thread_ts: str | None = event.get("thread_ts")
        if not mention:
            in_dm = event.get("channel_type") == "im"
            follow_up = thread_ts is not None and "<@" not in text and self.state.is_bot_thread(channel, thread_ts)
            if not (in_dm or follow_up):
                return
        thread_ts = thread_ts or ts
        allowed = self.allowed(channel)
        question = plain_question(text, bot_user_id)
        event_id = body.get("event_id")
        # one transaction: the event (Slack's retries) and the message itself (the same @mention as
        # app_mention and message) are taken once, and only a real question counts against the rate
        decision = self.state.admit(
            [f"msg:{channel}:{ts}"] + ([f"event:{event_id}"] if event_id else []),
            user=user if allowed and question else None,
            limit=self.settings.slack_user_rate,
            window_s=RATE_WINDOW_S,
        )
        if decision is None:
            log.info("event %s (message %s in %s) already taken; not answering again", event_id, ts, channel)
            return
        if not allowed:
            if self.state.once(f"not-enabled:{channel}"):
                self.notify(channel, self.not_enabled_text(), thread_ts=thread_ts)
            return
        if not question:
            self.notify(channel, HINT_EMPTY, thread_ts=thread_ts)
            return
        if not decision.allowed:
            if decision.notify:
                self.notify(channel, self.rate_text(decision.retry_after_s), thread_ts=thread_ts, user=user)
            return
        team = body.get("team_id") or event.get("team")
        self.submit(Question(channel, user, question, thread_ts=thread_ts, react_ts=None if assistant else ts,
                             team=str(team) if team else None, assistant=assistant,
                             about_files=asks_about_files(question, event.get("files"))))

    def rate_text(self, retry_after_s: float) -> str:
        """The friendly message for a user over the rate limit."""
        return (
            f":hourglass: You've asked {self.settings.slack_user_rate} questions in the last minute. "
            f"Please wait {max(1, math.ceil(retry_after_s))} s and ask again."
        )

    def submit(self, question: Question) -> bool:
        """Queue a question for the workers (False, with a notice, when too many are waiting).

        Questions are answered in the order they were taken; one that has to wait is told its place.
        """
        self.start()
        with self._pending_lock:  # a ticket and its place in the pool's queue are taken together
            try:
                ticket = self.queue.take()
            except QueueFull:
                log.warning("%d questions waiting; turning one away", self.queue.open)
                if question.thread_ts:
                    self.notify(question.channel, BUSY, thread_ts=question.thread_ts)
                else:
                    self.notify(question.channel, BUSY, user=question.user)
                return False
            ahead = self.queue.ahead(ticket)
            eyes = self._run(self._notices, self._react, "reactions_add", question) if question.react_ts else None
            job = self._run(self._answers, self._answer, question, ticket, eyes)
        if job is None:
            self.queue.done(ticket)
            return False
        if ahead >= self.queue.capacity:
            self._run(self._notices, self._show_place, question, ahead)
        return True

    def place_text(self, ahead: int) -> str:
        """The line telling a waiting question its place."""
        return f":hourglass_flowing_sand: {ahead} question{'s' if ahead != 1 else ''} ahead of yours; I'll answer here when it's your turn."

    def _show_place(self, q: Question, ahead: int) -> None:
        """Tell a waiting question its place: the assistant thread's status, else an ephemeral line."""
        if q.assistant and q.thread_ts:
            self._status(q, f"is waiting: {ahead} question{'s' if ahead != 1 else ''} ahead of yours")
        elif q.thread_ts:
            self._say(q.channel, self.place_text(ahead), thread_ts=q.thread_ts, user=q.user)
        elif q.response_url:
            try:
                self._respond(q.response_url, notice_message(self.place_text(ahead)), in_channel=False)
            except Exception:  # noqa: BLE001 - a lost notice must not take the worker down
                log.exception("posting the queue position through response_url failed")

    # --- answering --------------------------------------------------------------------------
    def _answer(self, q: Question, ticket: int, eyes: Future[None] | None) -> None:
        try:
            if not self.ready.wait(timeout=300):
                raise TimeoutError("the pipeline did not warm up within 300 s")
            if q.assistant:  # the status follows the question up the queue
                self.queue.wait_turn(ticket, lambda ahead: self._show_place(q, ahead))
            else:
                self.queue.wait_turn(ticket)
            self._answer_now(q)
        except QuestionError as exc:
            self._warn(q, f":warning: {escape(str(exc))}")
        except IndexEmptyError:
            self._warn(q, WARN_EMPTY_INDEX)
        except Exception:  # noqa: BLE001 - the edge: log it, tell the user in one line
            log.exception("answering a Slack question failed (channel %s, message %s)", q.channel, q.react_ts)
            self._warn(q, WARN_FAILED)
        finally:
            self.queue.done(ticket)
            if eyes is not None:
                try:
                    eyes.result(timeout=30)
                except Exception:  # noqa: BLE001 - logged in _react
                    pass
                self._react("reactions_remove", q)

    def _answer_now(self, q: Question) -> None:
        if q.about_files:  # said once, before the answer to the question's text
            self._say(q.channel, FILES_NOTE, thread_ts=q.thread_ts)
        key = session_key(q.channel, q.thread_ts) if q.thread_ts else f"slack:{q.channel}:new:{uuid.uuid4().hex}"
        streamer = AnswerStreamer(self.client, q) if q.thread_ts else None  # /ask posts a new message
        with self._locks[hash(key) % _LOCK_STRIPES]:  # one answer at a time per thread
            conversation = self.sessions.load(key)
            if q.assistant:
                if not conversation.turns:
                    self._title(q, thread_title(q.text))
                articles = self.index_stats.get("articles", 0)
                searching = f"searching {articles:,} articles" if articles else "searching the articles"
                # a generative answer takes a while after the search: Slack rotates through both phases
                phases = [f"{searching.capitalize()}\u2026", "Writing the answer\u2026"]
                writes = callable(getattr(self.pipeline.answerer, "stream", None))
                self._status(q, f"is {searching}", loading=phases if writes else None)
            answer = self.pipeline.ask(
                q.text, conversation=conversation, on_token=streamer.append if streamer is not None else None
            )
            if q.thread_ts:
                self.sessions.save(key, conversation)
        answer_id = uuid.uuid4().hex
        self.state.save_answer(
            answer_id,
            question=q.text,
            answer=answer.text,
            abstained=answer.abstained,
            citations=answer.citations,
            channel=q.channel,
            thread_ts=q.thread_ts,
            asked_by=q.user,
        )
        asked_by = q.user if q.via_command else None
        message = answer_message(answer, answer_id, asked_by=asked_by)
        posted_ts = streamer.finish(answer, answer_id, message) if streamer is not None else None
        if posted_ts is None:  # extractive, /ask, or streaming refused: one message as before
            posted_ts = self._post(q, message, plain=plain_answer(answer, asked_by=asked_by))
        thread_ts = q.thread_ts or posted_ts
        if thread_ts:
            if not q.thread_ts:  # /ask: its answer's thread continues this conversation
                self.sessions.save(session_key(q.channel, thread_ts), conversation)
            self.state.mark_thread(q.channel, thread_ts)
        log.info(
            "answered in %s (thread %s, %d citations, abstained=%s, %.0f ms)",
            q.channel, thread_ts, len(answer.citations), answer.abstained, answer.timings_ms.get("total", 0.0),
        )

    def _post(self, q: Question, message: SlackMessage, plain: str | None = None) -> str | None:
        """Post an answer; the new message's ts (None when it went through response_url). When Slack
        refuses the message itself (its blocks, its length), `plain`, the same answer as text only,
        is posted instead, in as many pieces as Slack needs."""
        try:
            response = self.client.chat_postMessage(
                channel=q.channel,
                thread_ts=q.thread_ts,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
            return str(response["ts"])
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if q.response_url and error in ("not_in_channel", "channel_not_found"):
                log.info("not in %s (%s); answering /ask through its response_url", q.channel, error)
                self._respond(q.response_url, message, in_channel=True, plain=plain)
                return None
            if plain is None or error not in REFUSED:
                raise
            log.warning("Slack refused the answer in %s (%s%s); posting it as text only", q.channel, error, _details_of(exc))
        return self._post_plain(q, plain)

    def _post_plain(self, q: Question, text: str) -> str | None:
        """Post `text` without blocks, split into pieces (smaller ones while Slack says a piece is too
        long); the first piece's ts. A /ask answer's later pieces go in the first one's thread."""
        limits = list(PLAIN_LIMITS)
        pieces = split_text(text, limits[0])
        first: str | None = None
        done = 0
        while done < len(pieces):
            try:
                response = self.client.chat_postMessage(
                    channel=q.channel, thread_ts=q.thread_ts or first, text=pieces[done],
                    unfurl_links=False, unfurl_media=False,
                )
            except SlackApiError as exc:
                if _error_of(exc) not in REFUSED or len(limits) == 1:
                    raise
                limits.pop(0)
                log.warning("Slack refused a text-only piece in %s (%s); splitting the rest into %d characters",
                            q.channel, _error_of(exc), limits[0])
                pieces = pieces[:done] + split_text("\n".join(pieces[done:]), limits[0])
                continue
            first = first or str(response["ts"])
            done += 1
        return first

    def _respond(self, response_url: str, message: SlackMessage, *, in_channel: bool, plain: str | None = None) -> None:
        webhook = WebhookClient(response_url, timeout=15, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
        kind = "in_channel" if in_channel else "ephemeral"
        result = webhook.send(text=message.text, blocks=message.blocks, response_type=kind)
        if result.status_code != 200 and plain is not None:
            log.warning("response_url refused the answer (HTTP %d: %s); sending it as text only", result.status_code, result.body)
            for piece in split_text(plain, PLAIN_LIMITS[0])[:RESPONSE_URL_USES]:
                result = webhook.send(text=piece, response_type=kind)
                if result.status_code != 200:
                    break
        if result.status_code != 200:
            raise SlackClientError(f"response_url answered HTTP {result.status_code}")

    def _warn(self, q: Question, text: str) -> None:
        if q.thread_ts:
            self._say(q.channel, text, thread_ts=q.thread_ts)
        elif q.response_url:  # /ask: only the asker sees it, even where the bot is not a member
            try:
                self._respond(q.response_url, notice_message(text), in_channel=False)
            except Exception:  # noqa: BLE001
                log.exception("posting a warning through response_url failed")
        else:
            self._say(q.channel, text, user=q.user)

    def _react(self, method: str, q: Question) -> None:
        try:
            getattr(self.client, method)(channel=q.channel, timestamp=q.react_ts, name=EYES)
        except SlackApiError as exc:
            log.warning("%s %s on %s failed: %s", method, EYES, q.react_ts, exc.response.get("error"))
        except SlackClientError as exc:
            log.warning("%s %s on %s failed: %s", method, EYES, q.react_ts, exc)

    # --- the assistant view ------------------------------------------------------------------
    def _status(self, q: Question, status: str, loading: list[str] | None = None) -> None:
        """assistant.threads.setStatus ("newsbot is searching ...", optionally rotating `loading`
        messages); a failure is only logged."""
        try:
            self.client.assistant_threads_setStatus(
                channel_id=q.channel, thread_ts=q.thread_ts or "", status=status, loading_messages=loading
            )
        except (SlackApiError, SlackClientError) as exc:
            log.warning("setting the assistant status in %s failed: %s", q.channel, _error_of(exc))

    def _title(self, q: Question, title: str) -> None:
        try:
            self.client.assistant_threads_setTitle(channel_id=q.channel, thread_ts=q.thread_ts or "", title=title)
        except (SlackApiError, SlackClientError) as exc:
            log.warning("setting the assistant thread title in %s failed: %s", q.channel, _error_of(exc))

    def suggested_prompts(self) -> list[dict[str, str]]:
        """Up to four prompts from the index: the newest article of each of the outlets that published
        most recently, and of each newest article without an outlet (`article_prompt`: about its
        headline, or an untitled article's own first sentence). General prompts when the index
        gives none (empty, or unreadable)."""
        try:
            rows = self.pipeline.state.newest_docs(200)
        except Exception:  # noqa: BLE001 - a greeting with general prompts beats no greeting
            log.exception("reading the newest articles for suggested prompts failed")
            rows = []
        prompts: list[dict[str, str]] = []
        seen: set[str] = set()
        for source, title, text in rows:
            prompt = article_prompt(str(source or ""), str(title or ""), str(text or ""))
            outlet = " ".join(str(source or "").split()).lower()
            key = f"outlet:{outlet}" if outlet else f"prompt:{prompt['message'] if prompt else ''}"
            if prompt is None or key in seen:
                continue
            seen.add(key)
            prompts.append(prompt)
            if len(prompts) == MAX_PROMPTS:
                break
        return prompts or [dict(p) for p in GENERAL_PROMPTS]

    def on_thread_started(self, event: dict[str, Any]) -> None:
        """assistant_thread_started: a greeting and suggested prompts from what the index holds."""
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel or not thread_ts:
            return
        self._run(self._notices, self._greet, str(channel), str(thread_ts))

    def _greet(self, channel: str, thread_ts: str) -> None:
        self._say(channel, GREETING, thread_ts=thread_ts)
        prompts = self.suggested_prompts()
        if not prompts:
            return
        try:
            self.client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, title="Try asking:", prompts=prompts
            )
        except (SlackApiError, SlackClientError) as exc:
            log.warning("setting suggested prompts in %s failed: %s", channel, _error_of(exc))

    # --- notices ---------------------------------------------------------------------------
    def notify(self, channel: str, text: str, *, thread_ts: str | None = None, user: str | None = None) -> None:
        """Post a short notice off the request thread (ephemeral when `user` is given)."""
        self._run(self._notices, self._say, channel, text, thread_ts=thread_ts, user=user)

    def _say(self, channel: str, text: str, *, thread_ts: str | None = None, user: str | None = None) -> None:
        message = notice_message(text)
        try:
            if user is not None:
                self.client.chat_postEphemeral(
                    channel=channel, user=user, text=message.text, blocks=message.blocks, thread_ts=thread_ts
                )
            else:
                self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts
                )
        except Exception:  # noqa: BLE001 - a lost notice must not take the worker down
            log.exception("posting a notice in %s failed", channel)

    # --- feedback --------------------------------------------------------------------------
    def on_vote(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Record a 👍/👎 click and thank the user (ephemeral)."""
        user = (body.get("user") or {}).get("id", "")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        vote = "up" if action.get("action_id") == VOTE_UP else "down"
        recorded = self.state.record_vote(str(action.get("value", "")), user=user, channel=channel, vote=vote)
        if channel and user:
            thread_ts = (body.get("message") or {}).get("thread_ts")
            text = "Thanks, your feedback was recorded." if recorded else "That answer is too old to rate, sorry."
            self.notify(channel, text, thread_ts=thread_ts, user=user)

    # --- slash command ---------------------------------------------------------------------
    def on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """/ask: acknowledge with an ephemeral line, answer in the channel afterwards."""
        text = plain_question(str(command.get("text") or ""))
        channel, user = str(command.get("channel_id") or ""), str(command.get("user_id") or "")
        if not text:
            ack(text="Usage: `/ask QUESTION`, for example `/ask Who is Xiaomi talking to?`", response_type="ephemeral")
            return
        if not self.allowed(channel):
            ack(text=self.not_enabled_text(), response_type="ephemeral")
            return
        trigger = command.get("trigger_id")
        decision = self.state.admit(
            [f"cmd:{trigger}"] if trigger else [], user=user, limit=self.settings.slack_user_rate, window_s=RATE_WINDOW_S
        )
        if decision is None:
            ack()
            return
        if not decision.allowed:
            ack(text=self.rate_text(decision.retry_after_s), response_type="ephemeral")
            return
        ack(text=f":mag: Looking that up: _{escape(text)}_", response_type="ephemeral")
        team = command.get("team_id")
        self.submit(Question(channel, user, text, thread_ts=None, response_url=command.get("response_url"),
                             team=str(team) if team else None))


def register_events(app: App, bot: SlackBot) -> None:
    """Listeners for app_mention and message events."""

    def on_mention(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        ack()
        bot.on_message_event(event, body, context.bot_user_id, mention=True)

    def on_message(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        ack()
        bot.on_message_event(event, body, context.bot_user_id, mention=False)

    app.event("app_mention")(on_mention)
    app.event("message")(on_message)


def register_commands(app: App, bot: SlackBot) -> None:
    """The /ask slash command."""

    def on_ask(ack: Ack, command: dict[str, Any]) -> None:
        bot.on_command(ack, command)

    app.command("/ask")(on_ask)


def register_actions(app: App, bot: SlackBot) -> None:
    """The 👍/👎 buttons."""

    def on_vote(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        bot.on_vote(body, action)

    app.action(VOTE_UP)(on_vote)
    app.action(VOTE_DOWN)(on_vote)


def register_assistant(app: App, bot: SlackBot) -> None:
    """The assistant view (bolt's Assistant middleware): greeting and prompts, then questions.

    Questions in an assistant thread go through the same filters, queue and conversations as DMs;
    workspaces without the assistant view never send these events, and mentions, DMs and /ask work
    as before."""
    assistant = Assistant(logger=log)

    def on_started(event: dict[str, Any]) -> None:
        bot.on_thread_started(event)

    def on_context_changed() -> None:
        return None  # the channel the user is looking at does not change what newsbot answers

    def on_user_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        bot.on_message_event(event, body, context.bot_user_id, mention=False, assistant=True)

    assistant.thread_started(on_started)
    assistant.thread_context_changed(on_context_changed)
    assistant.user_message(on_user_message)
    app.use(assistant)


def register(app: App, bot: SlackBot) -> None:
    """Every listener."""
    register_assistant(app, bot)
    register_events(app, bot)
    register_commands(app, bot)
    register_actions(app, bot)


def build_bot(
    settings: Settings, pipeline: Pipeline, web_client: WebClient | None = None, *, socket_mode: bool = False
) -> SlackBot:
    """The bot with its bolt app (no network call: auth.test happens on the first request)."""
    check_config(settings, socket_mode=socket_mode)
    client = web_client or make_web_client(settings)
    bot = SlackBot(settings, pipeline, client)
    app = App(
        name="newsbot",
        client=client,
        # socket mode has no signatures; "" (not None) keeps bolt from reading the environment
        signing_secret="" if socket_mode else settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        process_before_response=True,  # listeners only ack and queue, so reply when they return
    )
    register(app, bot)
    bot.app = app
    return bot


def create_app(settings: Settings, pipeline: Pipeline, web_client: WebClient | None = None) -> App:
    """The bolt App for HTTP mode with its listeners registered."""
    app = build_bot(settings, pipeline, web_client).app
    assert app is not None
    return app


# --- serving ----------------------------------------------------------------------------------
def socket_handler(bot: SlackBot) -> SocketModeHandler:
    """A Socket Mode connection for the bot (call .connect(), later .close())."""
    assert bot.app is not None
    return SocketModeHandler(
        bot.app,
        app_token=bot.settings.slack_app_token,
        web_client=bot.client,
        concurrency=max(4, bot.settings.slack_workers),
    )


# --- CLI --------------------------------------------------------------------------------------
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
        handler = socket_handler(bot)
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as exc:
            raise ConfigError(
                f"Slack refused the Socket Mode connection ({exc.response.get('error')}): check SLACK_APP_TOKEN"
            ) from exc
        except (SlackClientError, OSError) as exc:
            raise NewsbotError(f"cannot reach Slack for Socket Mode: {exc}") from exc
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
