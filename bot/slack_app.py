"""The Slack front end: a bolt app answering @mentions, DMs, `/ask` and thread follow-ups.

`build_bot(settings, pipeline)` assembles it (`create_app` returns just the bolt `App`); `register`
adds the listeners; `HttpServer` serves bolt's WSGI adapter plus `/healthz` on a threaded server
bound to one host; `socket_handler` runs it over Socket Mode. `newsbot slack --http|--socket`
and `newsbot feedback export` are added to the CLI by `register_cli`.

How a question flows: the listener acknowledges at once (bolt answers Slack's HTTP request when
the listener returns, so listeners only do a few SQLite writes), filters (own and other bots'
messages, edits, joins, channels not enabled), de-duplicates on `event_id` and on the message
itself (so an @mention delivered both as `app_mention` and `message` is answered once), applies
the per-user rate limit, and hands the question to a bounded pool of `settings.slack_workers`
threads. A 👀 reaction marks the message while it is answered. The answer goes in the thread,
through the thread's conversation (`SessionStore`, key `slack:{channel}:{thread_ts}`), so
follow-ups are read in the light of the earlier turns.

`/ask` posts its answer in the channel with chat.postMessage (a new message whose thread then
holds the follow-ups); when the bot is not in that channel it falls back to the command's
response_url. Channel `message` events are answered only in DMs, and in threads the bot has
answered in when the reply mentions nobody (an @mention there arrives as `app_mention`).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import Ack, App, BoltContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.conversation import SessionStore
from bot.errors import ConfigError, IndexEmptyError, NewsbotError, QuestionError
from bot.settings import Settings, add_answerer_argument
from bot.slack_blocks import VOTE_DOWN, VOTE_UP, SlackMessage, answer_message, escape, notice_message, plain_question
from bot.slack_state import SlackState

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1 << 20  # Slack's payloads are a few KB; refuse anything bigger without parsing it
MAX_DRAIN_BYTES = 16 << 20  # up to this, an oversized body is read away (in 64 KB pieces) before the 413
EYES = "eyes"
PENDING_PER_WORKER = 16  # questions allowed to wait per worker before the bot says it is busy
RATE_WINDOW_S = 60.0
_ANSWERED_SUBTYPES = (None, "thread_broadcast")
_LOCK_STRIPES = 64

WARN_FAILED = ":warning: Sorry, something went wrong while answering. It was logged; please try again in a moment."
WARN_EMPTY_INDEX = ":warning: I have no articles to answer from yet; an administrator needs to run `newsbot ingest`."
HINT_EMPTY = "Ask me a question about the news, for example: _Who is Xiaomi talking to?_"
BUSY = ":hourglass: I'm answering a lot of questions right now; please ask again in a minute."


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

    @property
    def via_command(self) -> bool:
        """Whether the question came from /ask."""
        return self.thread_ts is None


def session_key(channel: str, thread_ts: str) -> str:
    """The conversation key of a Slack thread."""
    return f"slack:{channel}:{thread_ts}"


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
        self.state = state or SlackState(settings.state_path, dedup_ttl_s=settings.dedup_ttl_s)
        self.sessions = sessions or SessionStore(settings.state_path)
        self.app: App | None = None
        self.ready = threading.Event()
        self.warm_error: str | None = None
        self.index_stats: dict[str, Any] = {}
        workers = max(1, settings.slack_workers)
        self.max_pending = workers * PENDING_PER_WORKER
        self._answers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="newsbot-answer")
        self._notices = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsbot-notice")
        self._pending = 0  # questions taken and not yet answered
        self._pending_lock = threading.Lock()
        self._inflight = 0  # every queued job, answers and notices
        self._idle = threading.Condition()
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self._warm_thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Warm the pipeline up in the background (once); questions wait for it."""
        with self._pending_lock:
            if self._warm_thread is not None:
                return
            self._warm_thread = threading.Thread(target=self._warm_up, name="newsbot-warm-up", daemon=True)
        self._warm_thread.start()

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
            self.ready.set()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report) for /healthz: up once warmed up; `index_loaded` when it holds chunks too."""
        up = self.ready.is_set() and self.warm_error is None
        loaded = up and self.index_stats.get("chunks", 0) > 0
        report: dict[str, Any] = {"ok": up, "index_loaded": loaded, "pending": self._pending}
        if self.index_stats:
            report["index"] = self.index_stats
        if self.warm_error:
            report["error"] = self.warm_error
        return up, report

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

    def on_message_event(self, event: dict[str, Any], body: dict[str, Any], bot_user_id: str | None, *, mention: bool) -> None:
        """Filter, de-duplicate and queue an `app_mention` (mention=True) or `message` event."""
        if event.get("bot_id") or event.get("subtype") not in _ANSWERED_SUBTYPES:
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
        self.submit(Question(channel, user, question, thread_ts=thread_ts, react_ts=ts))

    def rate_text(self, retry_after_s: float) -> str:
        """The friendly message for a user over the rate limit."""
        return (
            f":hourglass: You've asked {self.settings.slack_user_rate} questions in the last minute. "
            f"Please wait {max(1, math.ceil(retry_after_s))} s and ask again."
        )

    def submit(self, question: Question) -> bool:
        """Queue a question for the workers (False, with a notice, when too many are waiting)."""
        self.start()
        with self._pending_lock:
            if self._pending >= self.max_pending:
                busy = True
            else:
                busy = False
                self._pending += 1
        if busy:
            log.warning("%d questions waiting; turning one away", self._pending)
            if question.thread_ts:
                self.notify(question.channel, BUSY, thread_ts=question.thread_ts)
            else:
                self.notify(question.channel, BUSY, user=question.user)
            return False
        eyes = self._run(self._notices, self._react, "reactions_add", question) if question.react_ts else None
        if self._run(self._answers, self._answer, question, eyes) is None:
            with self._pending_lock:
                self._pending -= 1
            return False
        return True

    # --- answering --------------------------------------------------------------------------
    def _answer(self, q: Question, eyes: Future[None] | None) -> None:
        try:
            if not self.ready.wait(timeout=300):
                raise TimeoutError("the pipeline did not warm up within 300 s")
            self._answer_now(q)
        except QuestionError as exc:
            self._warn(q, f":warning: {escape(str(exc))}")
        except IndexEmptyError:
            self._warn(q, WARN_EMPTY_INDEX)
        except Exception:  # noqa: BLE001 - the edge: log it, tell the user in one line
            log.exception("answering a Slack question failed (channel %s, message %s)", q.channel, q.react_ts)
            self._warn(q, WARN_FAILED)
        finally:
            with self._pending_lock:
                self._pending -= 1
            if eyes is not None:
                try:
                    eyes.result(timeout=30)
                except Exception:  # noqa: BLE001 - logged in _react
                    pass
                self._react("reactions_remove", q)

    def _answer_now(self, q: Question) -> None:
        key = session_key(q.channel, q.thread_ts) if q.thread_ts else f"slack:{q.channel}:new:{uuid.uuid4().hex}"
        with self._locks[hash(key) % _LOCK_STRIPES]:  # one answer at a time per thread
            conversation = self.sessions.load(key)
            answer = self.pipeline.ask(q.text, conversation=conversation)
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
        message = answer_message(answer, answer_id, asked_by=q.user if q.via_command else None)
        posted_ts = self._post(q, message)
        thread_ts = q.thread_ts or posted_ts
        if thread_ts:
            if not q.thread_ts:  # /ask: its answer's thread continues this conversation
                self.sessions.save(session_key(q.channel, thread_ts), conversation)
            self.state.mark_thread(q.channel, thread_ts)
        log.info(
            "answered in %s (thread %s, %d citations, abstained=%s, %.0f ms)",
            q.channel, thread_ts, len(answer.citations), answer.abstained, answer.timings_ms.get("total", 0.0),
        )

    def _post(self, q: Question, message: SlackMessage) -> str | None:
        """Post an answer; the new message's ts (None when it went through response_url)."""
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
                self._respond(q.response_url, message, in_channel=True)
                return None
            raise

    def _respond(self, response_url: str, message: SlackMessage, *, in_channel: bool) -> None:
        webhook = WebhookClient(response_url, timeout=15, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
        result = webhook.send(
            text=message.text,
            blocks=message.blocks,
            response_type="in_channel" if in_channel else "ephemeral",
        )
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
        self.submit(Question(channel, user, text, thread_ts=None, response_url=command.get("response_url")))


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


def register(app: App, bot: SlackBot) -> None:
    """Every listener."""
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
class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        log.debug("%s %s", self.address_string(), format % args)


def wsgi_app(bot: SlackBot) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """bolt's WSGI adapter at /slack/events plus /healthz, refusing oversized bodies."""
    assert bot.app is not None
    slack = SlackRequestHandler(bot.app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            healthy, report = bot.health()
            body = json.dumps(report).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            if 0 < length <= MAX_DRAIN_BYTES:  # read it away in small pieces so the client sees the 413
                stream = environ["wsgi.input"]
                while length > 0 and (chunk := stream.read(min(length, 1 << 16))):
                    length -= len(chunk)
            start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
            return [b"payload too large"]
        return slack(environ, start_response)

    return application


class HttpServer:
    """The Events API endpoint on a threaded WSGI server bound to one host."""

    def __init__(self, bot: SlackBot, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.bot = bot
        try:
            self._server = make_server(
                host, port, wsgi_app(bot), server_class=_ThreadingWSGIServer, handler_class=_LoggingHandler
            )
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base url of the server."""
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until shutdown() (blocks)."""
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> HttpServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="newsbot-http", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


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
    """Add `newsbot slack` and `newsbot feedback export`."""
    p = subparsers.add_parser("slack", help="run the Slack bot (Events API over HTTP, or Socket Mode)")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--http", action="store_true", help="serve /slack/events and /healthz over HTTP")
    mode.add_argument("--socket", action="store_true", help="connect with Socket Mode (SLACK_APP_TOKEN)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind with --http (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="port to bind with --http (default 3000)")
    add_answerer_argument(p)
    p.set_defaults(handler=cmd_slack)

    f = subparsers.add_parser("feedback", help="the 👍/👎 feedback collected in Slack")
    fsub = f.add_subparsers(dest="feedback_command", metavar="ACTION")
    fsub.required = True
    e = fsub.add_parser("export", help="write every vote as JSON Lines")
    e.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    e.set_defaults(handler=cmd_feedback_export)


def _stop_on_sigterm() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot slack --http | --socket."""
    from bot.pipeline import Pipeline

    check_config(settings, socket_mode=bool(args.socket))  # before opening anything
    bot = build_bot(settings, Pipeline(settings), socket_mode=bool(args.socket))
    bot.start()
    _stop_on_sigterm()
    if args.socket:
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
            log.info("stopping")
        finally:
            handler.close()  # type: ignore[no-untyped-call]
            bot.close(wait=False)
        return 0
    server = HttpServer(bot, args.host, args.port)
    log.info("serving Slack events on %s%s (health: %s%s)", server.url, EVENTS_PATH, server.url, HEALTH_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.shutdown()
        bot.close(wait=False)
    return 0


def cmd_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feedback export [-o FILE]."""
    state = SlackState(settings.state_path, dedup_ttl_s=settings.dedup_ttl_s)
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
