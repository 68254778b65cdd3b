"""The Slack front end: a bolt app answering @mentions, DMs, `/ask`, thread follow-ups and the assistant view.

`build_bot(settings, pipeline)` assembles it (`create_app` returns just the bolt `App`): the
listeners (bot/slack/listeners.py) turn events into questions, `SlackBot` answers them, each in
its thread's conversation (bot/slack/threads.py), and posts the answers (bot/slack/streaming.py).
`HttpServer` (bot/slack/server.py, uvicorn) serves `SlackBot.dispatch_http` plus `/livez`,
`/readyz` and `/healthz`; `socket_handler` runs it over Socket Mode. The commands are in
bot/slack/cli.py.

A generative answer is one message in the question's thread: the preliminary answer (the articles
being read and the answer quoted from them) within a second of a warm bot taking the question, the
model's checked sentences streamed after it, then the final answer in its place.

A question takes a ticket in the answer queue (`Turnstile`: bounded, answered in the order taken;
a question that must wait is told its place) and its turn in its thread (`ThreadTurn`). It is
prepared at once on the `PREPARE_THREADS` threads (`Pipeline.prepare`: retrieval and the preliminary
answer, which opens its streamed message), and only the model's part (`Pipeline.complete`) waits in
the queue, served by `settings.slack_workers` threads: a burst sees every preliminary answer within
a second or two, and the fluent answers follow in the order the questions were taken. A follow-up
asked while an earlier question in its thread is still open is prepared in its turn instead, so it
reads that question's answer. A 👀 reaction marks the message while it is answered (in the assistant
view, a status).

With `--sync-every DURATION` the bot syncs its sources itself (`SlackBot.start_sync`,
bot/sources/schedule.py) through its own pipeline, so a new article is answered from at once.
`SlackBot.drain` finishes the answers already taken (and a sync in progress) before a stop.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.conversation import SessionStore
from bot.errors import ConfigError, IndexEmptyError, NewsbotError, QuestionError
from bot.settings import Settings
from bot.slack.blocks import answer_message, escape, notice_message, plain_answer, thread_title
from bot.slack.listeners import Listeners, register
from bot.slack.queue import QueueFull, Turnstile
from bot.slack.server import HttpServer
from bot.slack.state import SlackState
from bot.slack.streaming import AnswerStreamer, Responder
from bot.slack.threads import Question, ThreadConversations, ThreadTurn
from bot.sources.schedule import SyncLoop, start_sync_loop

if TYPE_CHECKING:
    from bot.pipeline import Pipeline, Prepared

__all__ = ["HttpServer", "SlackBot", "build_bot", "connect_socket", "create_app", "make_web_client", "socket_handler"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
DRAIN_S = 60.0  # on SIGTERM, how long the answers in flight may take before the process exits anyway
PENDING_PER_WORKER = 16  # questions allowed to wait per worker before the bot says it is busy
PREPARE_THREADS = 2  # retrieval and the preliminary answer (tens of ms each, no model) for admitted questions
T = TypeVar("T")

WARN_FAILED = ":warning: Sorry, something went wrong while answering. It was logged; please try again in a moment."
WARN_EMPTY_INDEX = ":warning: I have no articles to answer from yet; an administrator needs to run `newsbot ingest`."
BUSY = ":hourglass: I'm answering a lot of questions right now; please ask again in a minute."
FILES_NOTE = ":paperclip: I can't open attached files; I answer from the news articles I have read."


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


def _single_model(pipeline: Pipeline) -> bool:
    """Whether the answerer runs on one local model that generates one answer at a time."""
    try:
        return pipeline.answerer.capabilities.serial
    except Exception:  # noqa: BLE001 - a broken answerer is reported when it warms up
        return False


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
        self._prepares = ThreadPoolExecutor(max_workers=PREPARE_THREADS, thread_name_prefix="newsbot-prepare")
        self._notices = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsbot-notice")
        self._pending_lock = threading.Lock()
        self._inflight = 0  # every queued job, answers and notices
        self._idle = threading.Condition()
        self._warm_thread: threading.Thread | None = None
        self.sync: SyncLoop | None = None
        self.responder = Responder(client)
        self.threads = ThreadConversations(self.sessions, self.state)
        # `submit` is looked up on each question, so a wrapper set on the bot (evals/bench_slack.py) sees them
        self.listeners = Listeners(
            settings, self.state, self.threads, self.responder, pipeline,
            submit=lambda question: self.submit(question), background=self._notice,
        )

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
        except Exception as exc:  # noqa: BLE001 - reported by /healthz and on each answer
            self.warm_error = f"{type(exc).__name__}: {exc}"
            log.exception("warming the pipeline up failed")
        finally:
            self.ready.set()  # questions may go ahead: the first one waits for the model if it is still loading
        if self.warm_error is not None:
            return
        # logged once /healthz says so: a probe that reads this line gets 200
        log.info("pipeline ready in %.1f s: %s", time.perf_counter() - started, self.index_stats)
        started = time.perf_counter()
        try:
            if self.pipeline.answerer.capabilities.warm_up:  # the model loads now, not on the first question
                self.pipeline.answerer.warm_up()
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

    def _run(self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T] | None:
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

    def _notice(self, fn: Callable[..., None], *args: Any, **kwargs: Any) -> Future[None] | None:
        """Run `fn` (a notice, a greeting) off the request thread."""
        return self._run(self._notices, fn, *args, **kwargs)

    def _done(self, _future: Future[Any] | None) -> None:
        with self._idle:
            self._inflight -= 1
            self._idle.notify_all()

    def close(self, wait: bool = True) -> None:
        """Stop taking work; with `wait`, finish the questions already taken."""
        self._answers.shutdown(wait=wait, cancel_futures=not wait)  # before the preparations they wait for
        self._prepares.shutdown(wait=wait, cancel_futures=not wait)
        self._notices.shutdown(wait=wait, cancel_futures=not wait)

    def submit(self, question: Question) -> bool:
        """Queue a question for the workers (False, with a notice, when too many are waiting).

        Questions are answered in the order they were taken; one that has to wait is told its place.
        Its preparation (retrieval, the preliminary answer) starts at once unless an earlier question
        in its thread is still open; the model's part waits its turn in the queue.
        """
        self.start()
        with self._pending_lock:  # a ticket and its place in the pool's queue are taken together
            try:
                ticket = self.queue.take()
            except QueueFull:
                log.warning("%d questions waiting; turning one away", self.queue.open)
                if question.thread_ts:
                    self._notice(self.responder.say, question.channel, BUSY, thread_ts=question.thread_ts)
                else:
                    self._notice(self.responder.say, question.channel, BUSY, user=question.user)
                return False
            ahead = self.queue.ahead(ticket)
            turn = self.threads.take(question)
            streamer = self.responder.streamer(question) if question.thread_ts else None  # /ask posts a new message
            eyes = self._notice(self.responder.react, "reactions_add", question) if question.react_ts else None
            early = self._run(self._prepares, self._prepare, question, turn, streamer) if turn.after is None else None
            job = self._run(self._answers, self._answer, question, ticket, turn, streamer, early, eyes)
        if job is None:
            self.threads.release(turn)
            self.queue.done(ticket)
            return False
        if ahead >= self.queue.capacity:
            self._notice(self._show_place, question, ahead)
        return True

    def place_text(self, ahead: int) -> str:
        """The line telling a waiting question its place."""
        return f":hourglass_flowing_sand: {ahead} question{'s' if ahead != 1 else ''} ahead of yours; I'll answer here when it's your turn."

    def _show_place(self, q: Question, ahead: int) -> None:
        """Tell a waiting question its place: the assistant thread's status, else an ephemeral line."""
        if q.assistant and q.thread_ts:
            self.responder.status(q, f"is waiting: {ahead} question{'s' if ahead != 1 else ''} ahead of yours")
        elif q.thread_ts:
            self.responder.say(q.channel, self.place_text(ahead), thread_ts=q.thread_ts, user=q.user)
        elif q.response_url:
            try:
                self.responder.respond(q.response_url, notice_message(self.place_text(ahead)), in_channel=False)
            except Exception:  # noqa: BLE001 - a lost notice must not take the worker down
                log.exception("posting the queue position through response_url failed")

    # --- answering --------------------------------------------------------------------------
    def _prepare(self, q: Question, turn: ThreadTurn, streamer: AnswerStreamer | None) -> Prepared | None:
        """Prepare an admitted question at once (its preliminary answer opens its message); None when
        it cannot be answered, the asker told why."""
        try:
            if not self.ready.wait(timeout=300):
                raise TimeoutError("the pipeline did not warm up within 300 s")
            return self._prepare_now(q, turn, streamer)
        except Exception as exc:  # noqa: BLE001 - the edge: told in one line, logged when unexpected
            self._failed(q, exc)
            return None

    def _prepare_now(self, q: Question, turn: ThreadTurn, streamer: AnswerStreamer | None) -> Prepared:
        if q.about_files:  # said once, before the answer to the question's text
            self.responder.say(q.channel, FILES_NOTE, thread_ts=q.thread_ts)
        conversation = self.threads.conversation(turn)
        if q.assistant:
            if not conversation.turns:
                self.responder.title(q, thread_title(q.text))
            articles = self.index_stats.get("articles", 0)
            searching = f"searching {articles:,} articles" if articles else "searching the articles"
            # a generative answer takes a while after the search: Slack rotates through both phases
            phases = [f"{searching.capitalize()}\u2026", "Writing the answer\u2026"]
            writes = self.pipeline.answerer.capabilities.streams
            self.responder.status(q, f"is {searching}", loading=phases if writes else None)
        # a generative answer opens its message with the preliminary one (its articles and quote)
        return self.pipeline.prepare(q.text, conversation=conversation,
                                     on_quick=streamer.preliminary if streamer is not None else None)

    def _answer(
        self, q: Question, ticket: int, turn: ThreadTurn, streamer: AnswerStreamer | None,
        early: Future[Prepared | None] | None, eyes: Future[None] | None,
    ) -> None:
        """Answer a question in its turn: its preparation (`early`, else made now), then the model's part."""
        try:
            prepared = early.result() if early is not None else None
            if early is not None and prepared is None:
                return  # it could not be prepared; the asker was told
            if not self.ready.wait(timeout=300):
                raise TimeoutError("the pipeline did not warm up within 300 s")
            if q.assistant:  # the status follows the question up the queue
                self.queue.wait_turn(ticket, lambda ahead: self._show_place(q, ahead))
            else:
                self.queue.wait_turn(ticket)
            if prepared is None:
                prepared = self._prepare_now(q, turn, streamer)
            elif q.assistant and streamer is not None and streamer.ts is not None:
                # the preliminary answer cleared the status (Slack clears it when the app replies)
                self.responder.status(q, "is writing the answer")
            self._answer_now(q, turn, streamer, prepared)
        except Exception as exc:  # noqa: BLE001 - the edge: told in one line, logged when unexpected
            self._failed(q, exc)
        finally:
            self.threads.release(turn)
            self.queue.done(ticket)
            if eyes is not None:
                try:
                    eyes.result(timeout=30)
                except Exception:  # noqa: BLE001 - logged in _react
                    pass
                self.responder.react("reactions_remove", q)

    def _failed(self, q: Question, exc: Exception) -> None:
        """Tell the asker in one line why the question was not answered; log what was unexpected."""
        if isinstance(exc, QuestionError):
            self.responder.warn(q, f":warning: {escape(str(exc))}")
        elif isinstance(exc, IndexEmptyError):
            self.responder.warn(q, WARN_EMPTY_INDEX)
        else:
            log.error("answering a Slack question failed (channel %s, message %s)", q.channel, q.react_ts,
                      exc_info=exc)
            self.responder.warn(q, WARN_FAILED)

    def _answer_now(self, q: Question, turn: ThreadTurn, streamer: AnswerStreamer | None, prepared: Prepared) -> None:
        # the model's checked sentences stream after the preliminary answer; `finish` puts the final one in its place
        answer = self.pipeline.complete(prepared, on_token=streamer.append if streamer is not None else None)
        self.threads.release(turn, save=True)  # the next question in the thread may read this turn now
        conversation = self.threads.conversation(turn)
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
        plain = plain_answer(answer, asked_by=asked_by)
        posted_ts = streamer.finish(message, plain) if streamer is not None else None
        if posted_ts is None:  # extractive, /ask, or streaming refused: one message as before
            posted_ts = self.responder.post(q, message, plain=plain)
        thread_ts = self.threads.answered(q, conversation, posted_ts)
        log.info(
            "answered in %s (thread %s, %d citations, abstained=%s, %.0f ms)",
            q.channel, thread_ts, len(answer.citations), answer.abstained, answer.timings_ms.get("total", 0.0),
        )


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
    register(app, bot.listeners)
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


def connect_socket(bot: SlackBot) -> SocketModeHandler:
    """Connect the bot over Socket Mode (call .close() to stop); Slack's refusal becomes a ConfigError."""
    handler = socket_handler(bot)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused the Socket Mode connection ({exc.response.get('error')}): check SLACK_APP_TOKEN"
        ) from exc
    except (SlackClientError, OSError) as exc:
        raise NewsbotError(f"cannot reach Slack for Socket Mode: {exc}") from exc
    return handler
