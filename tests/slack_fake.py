"""A local fake of Slack for tests and benchmarks: the Web API, Socket Mode, and signed requests.

`FakeSlack` is a threaded HTTP server on 127.0.0.1 (port 0) that speaks the Web API the bot uses
(auth.test, chat.postMessage, chat.postEphemeral, chat.update, reactions.add/remove,
conversations.replies, apps.connections.open, assistant.threads.setStatus/setTitle/
setSuggestedPrompts, the streaming methods chat.startStream/appendStream/stopStream, and
response_url webhooks), checks bearer tokens, Slack's block limits (refused with `invalid_blocks`) and
its text limit (`msg_too_long`) like the real one, records every call, can answer 429 with
Retry-After once, and can refuse the next messages with an error of one's choice (`refuse`). Its
apps.connections.open returns the ws:// url of a local websocket server that plays Socket Mode:
it says hello, sends envelopes and records the acks.

The helpers below build Events API / slash command / interactivity payloads and sign them as
Slack does (`v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

TEAM_ID = "T0NEWS"
APP_ID = "A0NEWS"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)


class FakeSlack:
    """Fake Slack Web API + Socket Mode server, recording every call."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake",
        app_token: str = "xapp-fake",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []
        self.webhooks: list[Call] = []
        self.acks: list[dict[str, Any]] = []
        self.ws_connections = 0
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._rate_limit: dict[str, int] = {}
        self._channel_errors: dict[str, str] = {}
        self._refusals: list[tuple[str, str, bool]] = []  # (method, error, only messages with blocks)
        self.text_limit = TEXT_LIMIT  # chat.postMessage/postEphemeral/update refuse longer text: msg_too_long
        self.streaming_error: str | None = None  # set: the streaming methods answer this error
        self.streams: dict[str, dict[str, Any]] = {}  # stream ts -> its message while streaming
        self._ws_clients: list[ServerConnection] = []
        self._http: ThreadingHTTPServer | None = None
        self._ws: Server | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Start the HTTP and websocket servers on free ports."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                fake._handle(self)

            do_GET = do_POST  # noqa: N815

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, name="fake-slack-http", daemon=True).start()
        self._ws = serve(self._ws_handler, "127.0.0.1", 0)
        threading.Thread(target=self._ws.serve_forever, name="fake-slack-ws", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop both servers."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._ws is not None:
            self._ws.shutdown()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The Web API's port."""
        assert self._http is not None
        return int(self._http.server_address[1])

    @property
    def api_url(self) -> str:
        """Base url for slack_sdk's WebClient (with the trailing slash it needs)."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def ws_url(self) -> str:
        """The Socket Mode url apps.connections.open hands out."""
        assert self._ws is not None
        return f"ws://127.0.0.1:{self._ws.socket.getsockname()[1]}/link/?ticket=fake"

    def response_url(self, name: str = "r") -> str:
        """A response_url for slash commands and interactions, served by this fake."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # --- behaviour switches ----------------------------------------------------------------
    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call to `method` with HTTP 429 and `Retry-After: retry_after`."""
        with self._lock:
            self._rate_limit[method] = retry_after

    def fail_channel(self, channel: str, error: str = "not_in_channel") -> None:
        """Make chat.postMessage to `channel` fail with a Slack error."""
        with self._lock:
            self._channel_errors[channel] = error

    def refuse(self, method: str, error: str, *, times: int = 1, with_blocks: bool = False) -> None:
        """Answer the next `times` calls to `method` (only those carrying blocks, with `with_blocks`)
        with Slack's `error`, as Slack does for content it will not take (`invalid_blocks`,
        `msg_blocks_too_long`, ...)."""
        with self._lock:
            self._refusals.extend([(method, error, with_blocks)] * times)

    def _refusal(self, method: str, p: dict[str, Any]) -> str | None:
        with self._lock:
            for i, (name, error, with_blocks) in enumerate(self._refusals):
                if name == method and (p.get("blocks") or not with_blocks):
                    del self._refusals[i]
                    return error
        return None

    def reset(self) -> None:
        """Forget the calls, messages and acks recorded so far."""
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self.webhooks.clear()
            self.acks.clear()

    # --- inspection ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one API method (successful or not)."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 30.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until at least `count` matching, successful calls arrived; return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method and c.status == 200 and c.response.get("ok")
                    and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout} s for {count} x {method}, got {len(found)}; "
                        f"calls: {[c.method for c in self.calls]}"
                    )
                self._lock.wait(left)

    def replies(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted (chat.postMessage), optionally in one channel."""
        with self._lock:
            return [m for m in self.messages if channel is None or m["channel"] == channel]

    # --- Web API ---------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(req.path)
        params: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        ctype = req.headers.get("Content-Type", "")
        if raw:
            if "json" in ctype:
                params.update(json.loads(raw))
            else:
                params.update({k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()})
        for key in ("blocks", "attachments", "prompts", "chunks"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        auth = req.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)

        if url.path.startswith("/response/"):
            # like Slack: HTTP 400 and the error as text for blocks or text it will not take
            error = self._refusal("response_url", params) or ("invalid_blocks" if block_problem(params.get("blocks")) else None)
            if error is None and len(str(params.get("text") or "")) > self.text_limit:
                error = "msg_too_long"
            call = Call("response_url", params, token, time.time(), 400 if error else 200,
                        {"ok": False, "error": error} if error else {"ok": True})
            self._record(call, webhook=True)
            self._send(req, 400 if error else 200, (error or "ok").encode(), "text/plain")
            return
        if not url.path.startswith("/api/"):
            self._send(req, 404, b"not found", "text/plain")
            return
        method = url.path[len("/api/") :]
        with self._lock:
            retry_after = self._rate_limit.pop(method, None)
        if retry_after is not None:
            call = Call(method, params, token, time.time(), 429, {"ok": False, "error": "ratelimited"})
            self._record(call)
            self._send(req, 429, json.dumps(call.response).encode(), "application/json",
                       {"Retry-After": str(retry_after)})
            return
        response = self._answer(method, params, token)
        self._record(Call(method, params, token, time.time(), 200, response))
        self._send(req, 200, json.dumps(response).encode(), "application/json")

    def _record(self, call: Call, webhook: bool = False) -> None:
        with self._lock:
            (self.webhooks if webhook else self.calls).append(call)
            if webhook:
                self.calls.append(call)
            self._lock.notify_all()

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str] | None = None) -> None:
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(body)

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _answer(self, method: str, p: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != self.app_token:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.ws_url}
        if token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True, "url": "https://newsbot-test.slack.com/", "team": "newsbot-test",
                "user": "newsbot", "team_id": TEAM_ID, "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "is_enterprise_install": False,
            }
        refused = self._refusal(method, p)
        if refused:
            return {"ok": False, "error": refused}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            channel = p.get("channel")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            with self._lock:
                error = self._channel_errors.get(channel)
            if error and method == "chat.postMessage":
                return {"ok": False, "error": error}
            problem = block_problem(p.get("blocks"))
            if problem:
                return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
            if len(str(p.get("text") or "")) > self.text_limit:
                return {"ok": False, "error": "msg_too_long"}
            if not p.get("text") and not p.get("blocks"):
                return {"ok": False, "error": "no_text"}
            if method == "chat.postEphemeral":
                if not p.get("user"):
                    return {"ok": False, "error": "user_not_in_channel"}
                return {"ok": True, "message_ts": self._next_ts()}
            ts = self._next_ts()
            message = {
                "type": "message", "channel": channel, "ts": ts, "thread_ts": p.get("thread_ts"),
                "text": p.get("text"), "blocks": p.get("blocks"), "user": self.bot_user_id,
                "bot_id": self.bot_id,
            }
            with self._lock:
                self.messages.append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method in ("chat.startStream", "chat.appendStream", "chat.stopStream"):
            return self._stream_call(method, p)
        if method == "chat.update":
            problem = block_problem(p.get("blocks"))
            if problem:
                return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
            if len(str(p.get("text") or "")) > self.text_limit:
                return {"ok": False, "error": "msg_too_long"}
            with self._lock:
                found = [m for m in self.messages if m["channel"] == p.get("channel") and m["ts"] == p.get("ts")]
                if not found:
                    return {"ok": False, "error": "message_not_found"}
                found[0].update(text=p.get("text"), blocks=p.get("blocks"))
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}
        if method.startswith("assistant.threads."):
            if not (p.get("channel_id") and p.get("thread_ts")):
                return {"ok": False, "error": "invalid_arguments"}
            if method == "assistant.threads.setSuggestedPrompts" and not (1 <= len(p.get("prompts") or []) <= 4):
                return {"ok": False, "error": "invalid_prompts"}
            if method not in ("assistant.threads.setStatus", "assistant.threads.setTitle",
                              "assistant.threads.setSuggestedPrompts"):
                return {"ok": False, "error": "unknown_method"}
            return {"ok": True}
        if method in ("reactions.add", "reactions.remove"):
            if not (p.get("channel") and p.get("timestamp") and p.get("name")):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True}
        if method == "conversations.replies":
            channel, ts = p.get("channel"), p.get("ts")
            with self._lock:
                found = [m for m in self.messages
                         if m["channel"] == channel and (m["ts"] == ts or m.get("thread_ts") == ts)]
            return {"ok": True, "messages": found, "has_more": False}
        return {"ok": False, "error": "unknown_method"}

    def _stream_call(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """chat.startStream/appendStream/stopStream: a message whose text grows; stopStream's blocks end it."""
        with self._lock:
            if self.streaming_error:
                return {"ok": False, "error": self.streaming_error}
        text = str(p.get("markdown_text") or "") + "".join(
            str(c.get("text", "")) for c in (p.get("chunks") or []) if c.get("type") == "markdown_text")
        if method == "chat.startStream":
            if not p.get("channel") or not p.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            if not str(p["channel"]).startswith("D") and not (p.get("recipient_user_id") and p.get("recipient_team_id")):
                return {"ok": False, "error": "missing_recipient_user_id"}
            ts = self._next_ts()
            message = {"type": "message", "channel": p["channel"], "ts": ts, "thread_ts": p["thread_ts"],
                       "text": text, "blocks": None, "user": self.bot_user_id, "bot_id": self.bot_id,
                       "streaming": True}
            with self._lock:
                self.streams[ts] = message
                self.messages.append(message)
            return {"ok": True, "channel": p["channel"], "ts": ts}
        with self._lock:
            message = self.streams.get(str(p.get("ts")))
            if message is None or not message["streaming"] or message["channel"] != p.get("channel"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            if method == "chat.stopStream":  # a refused stop changes nothing
                problem = block_problem(p.get("blocks"))
                if problem:
                    return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
                message["streaming"] = False
                message["blocks"] = p.get("blocks")
            message["text"] += text
        return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}

    # --- Socket Mode -----------------------------------------------------------------------
    def _ws_handler(self, conn: ServerConnection) -> None:
        with self._lock:
            self.ws_connections += 1
            self._ws_clients.append(conn)
            self._lock.notify_all()
        conn.send(json.dumps({
            "type": "hello", "num_connections": 1,
            "connection_info": {"app_id": APP_ID},
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
        }))
        try:
            for message in conn:
                data = json.loads(message)
                with self._lock:
                    self.acks.append(data)
                    self._lock.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if conn in self._ws_clients:
                    self._ws_clients.remove(conn)

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until a Socket Mode client is connected."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._ws_clients:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no Socket Mode client connected")
                self._lock.wait(left)

    def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """Send an envelope (events_api, slash_commands, interactive) to the client; its id."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        with self._lock:
            conn = self._ws_clients[-1]
        conn.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Block until the client acknowledged the envelope; the ack."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"envelope {envelope_id} was not acknowledged")
                self._lock.wait(left)


TEXT_LIMIT = 40_000  # Slack's limit for a message's top-level text


def block_problem(blocks: Any) -> str | None:
    """What real Slack would reject in `blocks` (Block Kit's documented limits: count, section and
    context text, header, buttons, block ids), or None."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "must provide an array of at most 50 blocks"
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if len(str(block.get("block_id") or "")) > 255:
            return f"block_id longer than 255 chars at block {i}"
        if kind == "section":
            text = block.get("text", {}).get("text", "")
            if not text or len(text) > 3000:
                return f"section text length {len(text)} at block {i} (must be 1..3000)"
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10:
                return f"context with {len(elements)} elements at block {i} (must be 1..10)"
            for e in elements:
                if not 1 <= len(e.get("text", "")) <= 3000:
                    return f"context element text length {len(e.get('text', ''))} at block {i} (must be 1..3000)"
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                return f"actions block {i} must have 1..25 elements"
            for e in elements:
                if e.get("type") == "button" and (
                    not 1 <= len(e.get("text", {}).get("text", "")) <= 75 or len(str(e.get("value") or "")) > 2000
                    or len(str(e.get("url") or "")) > 3000 or len(str(e.get("action_id") or "")) > 255
                ):
                    return f"button over Slack's limits at block {i} (text 75, value 2000, url 3000, action_id 255)"
        elif kind == "header":
            text = block.get("text", {}).get("text", "")
            if not 1 <= len(text) <= 150:
                return f"header text length {len(text)} at block {i} (must be 1..150)"
        elif kind != "divider":
            return f"unknown block type {kind!r} at block {i}"
    return None


# --- requests as Slack sends them ------------------------------------------------------------
def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The X-Slack-Signature / X-Slack-Request-Timestamp headers Slack sends with `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def event_body(event: dict[str, Any], *, event_id: str | None = None, bot_user_id: str = "UBOT") -> dict[str, Any]:
    """An Events API `event_callback` wrapping `event`."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": bot_user_id, "is_bot": True}],
    }


_ts_counter = itertools.count(1)


def new_ts() -> str:
    """A fresh, unique message timestamp."""
    return f"{1_600_000_000 + next(_ts_counter)}.{uuid.uuid4().int % 1_000_000:06d}"


def mention(text: str, *, channel: str = "C0NEWS", user: str = "U0ALICE", ts: str | None = None,
            thread_ts: str | None = None, bot_user_id: str = "UBOT") -> dict[str, Any]:
    """An app_mention event."""
    event: dict[str, Any] = {
        "type": "app_mention", "user": user, "text": f"<@{bot_user_id}> {text}",
        "ts": ts or new_ts(), "channel": channel, "event_ts": ts or new_ts(),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, *, channel: str = "D0ALICE", user: str = "U0ALICE", channel_type: str = "im",
            ts: str | None = None, thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    """A message event (a DM by default)."""
    event: dict[str, Any] = {
        "type": "message", "user": user, "text": text, "ts": ts or new_ts(), "channel": channel,
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def slash_command(text: str, *, response_url: str, channel: str = "C0NEWS", user: str = "U0ALICE",
                  command: str = "/ask") -> bytes:
    """A slash command request body (form-encoded), as Slack POSTs it."""
    return urllib.parse.urlencode({
        "token": "verification-token-unused", "team_id": TEAM_ID, "team_domain": "newsbot-test",
        "channel_id": channel, "channel_name": "news", "user_id": user, "user_name": "alice",
        "command": command, "text": text, "api_app_id": APP_ID, "response_url": response_url,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:8]}",
    }).encode()


def block_action(action_id: str, value: str, *, response_url: str, channel: str = "C0NEWS",
                 user: str = "U0BOB", message_ts: str = "1700000001.000100") -> dict[str, Any]:
    """A block_actions payload for a button click."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "newsbot-test"},
        "user": {"id": user, "username": "bob", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:8]}",
        "channel": {"id": channel, "name": "news"},
        "message": {"type": "message", "ts": message_ts, "text": "answer", "user": "UBOT"},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id, "block_id": "newsbot_feedback", "value": value, "type": "button",
            "action_ts": f"{time.time():.6f}",
            "text": {"type": "plain_text", "text": action_id, "emoji": True},
        }],
    }


def post(url: str, body: bytes, headers: dict[str, str], *, content_type: str = "application/json",
         timeout: float = 10.0) -> tuple[int, bytes, float]:
    """POST over real HTTP; (status, body, seconds until the response arrived)."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type, **headers})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data = resp.read()
            return resp.status, data, time.perf_counter() - start
    except urllib.error.HTTPError as err:
        data = err.read()
        return err.code, data, time.perf_counter() - start


def post_event(url: str, secret: str, body: dict[str, Any], *, timestamp: int | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
    """Sign and POST an Events API body."""
    raw = json.dumps(body).encode()
    return post(url, raw, {**sign(secret, raw, timestamp), **(headers or {})})


def post_form(url: str, secret: str, raw: bytes, *, timestamp: int | None = None) -> tuple[int, bytes, float]:
    """Sign and POST a form-encoded body (slash commands)."""
    return post(url, raw, sign(secret, raw, timestamp), content_type="application/x-www-form-urlencoded")


def post_action(url: str, secret: str, payload: dict[str, Any]) -> tuple[int, bytes, float]:
    """Sign and POST an interactivity payload (`payload=` form field)."""
    raw = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return post_form(url, secret, raw)


def burst(url: str, secret: str, bodies: list[dict[str, Any]], retry: bool = True) -> list[dict[str, Any]]:
    """Send every body at once from its own thread (and then its retry, as Slack does after a slow
    ack); per body: event ts, send time, status, seconds to the response, retry status. Meant to run
    in a separate process so the sender's own work does not slow the server it measures."""
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        barrier.wait()
        at = time.time()
        status, _, elapsed = post(url, raw, sign(secret, raw))
        retry_status = None
        if retry:
            headers = {**sign(secret, raw), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            retry_status = post(url, raw, headers)[0]
        with lock:
            results.append({"ts": body["event"]["ts"], "at": at, "status": status, "elapsed": elapsed,
                            "retry_status": retry_status})

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
