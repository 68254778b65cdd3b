"""Posting to Slack: an answer streamed into its thread, or posted as one message, and the notices,
reactions and assistant-view status around it.

A generative answer is one streamed message (`AnswerStreamer`): within a second the preliminary
answer (the articles being read and the answer quoted from them, marked as preliminary), then the
model's sentences as they pass the claim check; the final answer with its sources and buttons then
replaces it in the same message. The extractive answerer, /ask,
and any workspace that refuses streaming get one message (`Responder.post`). When Slack refuses an
answer's message (`invalid_blocks`, `msg_too_long`, ...), the same answer is posted as text only, in
pieces as small as Slack needs, instead of a warning that would fail again. `/ask` answers through
its response_url when the bot is not in the channel.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.schema import Answer
from bot.slack.blocks import SlackMessage, escape, notice_message, preliminary_text, split_text
from bot.slack.threads import Question

if TYPE_CHECKING:
    from slack_sdk.web.chat_stream import ChatStream

log = logging.getLogger(__name__)

EYES = "eyes"
# Slack's refusals of a message's content: the same message fails again, a plainer one does not.
REFUSED = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long"})
PLAIN_LIMITS = (3000, 1000, 300)  # text-only pieces, smaller each time Slack says the text is too long
RESPONSE_URL_USES = 5  # Slack takes at most five messages through one response_url

# Web API methods the bot calls and the bot scope each needs (None: no scope); the manifest test
# checks it against bot/slack/manifest.json and against the calls the bot makes.
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


def error_of(exc: Exception) -> str:
    """Slack's error code of a failed call (or the exception's text)."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return str(exc)


def _details_of(exc: SlackApiError) -> str:
    """What Slack said was wrong, beyond the error code (invalid_blocks lists the blocks)."""
    errors = exc.response.get("errors") if exc.response is not None else None
    return f": {'; '.join(map(str, errors))}" if isinstance(errors, list) and errors else ""


class AnswerStreamer:
    """Streams an answer into its thread as one message (chat.startStream/appendStream/stopStream
    through slack_sdk's `chat_stream`): first the preliminary answer (`preliminary`), then the model's
    checked sentences, one per call (`append`); `finish` ends it with the final answer.

    `finish` closes the stream and replaces the whole message with the final answer, its sources and
    buttons (chat.update on the streamed message's ts: chat.stopStream only adds to a message), as
    text only when Slack refuses its blocks. Only checked text streams: the preliminary quotes the
    articles, and the model's sentences come after the claim check.

    The first piece starts the stream, so an answerer that never streams (the extractive one)
    never touches these methods. When Slack refuses them (an older workspace, a missing scope), the
    streamer goes quiet and `finish` returns None: the caller posts the usual single message.
    """

    def __init__(self, client: WebClient, q: Question) -> None:
        self.client = client
        self.q = q
        self.failed = False
        self.first_at: float | None = None  # perf_counter of the first streamed content
        self._stream: ChatStream | None = None

    def preliminary(self, answer: Answer) -> None:
        """Open the message with the preliminary answer (called by the pipeline before the model reads)."""
        if self._stream is None:
            self._send(preliminary_text(answer))

    def append(self, text: str) -> None:
        """Send one checked piece of the answer (called by the pipeline as each sentence passes)."""
        if text:
            self._send(escape(text))

    def _send(self, piece: str) -> bool:
        """Stream `piece` (starting the stream with the first one); False when it did not go out."""
        if self.failed:
            return False
        try:
            if self._stream is None:
                self._stream = self.client.chat_stream(
                    channel=self.q.channel,
                    thread_ts=self.q.thread_ts or "",
                    recipient_team_id=self.q.team,
                    recipient_user_id=self.q.user,
                    buffer_size=1,  # every piece goes out at once
                )
            self._stream.append(markdown_text=piece)
        except (SlackApiError, SlackClientError) as exc:
            log.warning("streaming into %s failed (%s); the answer comes as one message", self.q.channel, error_of(exc))
            self.failed = True
            return False
        if self.first_at is None:
            self.first_at = time.perf_counter()
        return True

    @property
    def ts(self) -> str | None:
        """The streamed message's ts once started."""
        return self._stream.ts if self._stream is not None else None

    def finish(self, message: SlackMessage, plain: str | None = None) -> str | None:
        """End the streamed message with the final answer in place of what was streamed; its ts, or
        None when nothing was streamed or the message could not be replaced (the caller posts it).

        The stream is closed (chat.stopStream only adds to a message), then the message is replaced by
        `message` (chat.update on the streamed message's ts), or by `plain`, text only, when Slack
        refuses it: one message. Only when Slack will not replace it at all (an error other than a
        refusal of its content) does the caller post the answer as a message of its own."""
        if self._stream is None or self._stream.ts is None:
            return None
        ts = str(self._stream.ts)
        try:
            self._stream.stop()
        except (SlackApiError, SlackClientError) as exc:  # an expired stream can still be updated
            log.warning("closing the stream in %s failed (%s); replacing the message anyway", self.q.channel, error_of(exc))
        return ts if self._replace(ts, message, plain) else None

    def _replace(self, ts: str, message: SlackMessage, plain: str | None) -> bool:
        """Replace the streamed message by the final one (chat.update), or by `plain`, text only and cut
        shorter while Slack finds it too long, when Slack refuses its blocks; False when it failed."""
        try:
            self.client.chat_update(channel=self.q.channel, ts=ts, text=message.text, blocks=message.blocks)
            return True
        except (SlackApiError, SlackClientError) as exc:
            if plain is None or error_of(exc) not in REFUSED:
                log.warning("replacing the streamed answer in %s failed: %s", self.q.channel, error_of(exc))
                return False
            log.warning("Slack refused the answer replacing the preliminary one in %s (%s); replacing it with text only",
                        self.q.channel, error_of(exc))
        for limit in (None, *PLAIN_LIMITS):
            pieces = [plain] if limit is None else split_text(plain, limit - 2)
            text = pieces[0] + (" \u2026" if len(pieces) > 1 else "")
            try:
                self.client.chat_update(channel=self.q.channel, ts=ts, text=text, blocks=[])
                return True
            except (SlackApiError, SlackClientError) as exc:
                if error_of(exc) not in REFUSED:
                    log.warning("replacing the streamed answer in %s failed: %s", self.q.channel, error_of(exc))
                    return False
        log.warning("Slack refused every text-only version of the answer in %s", self.q.channel)
        return False


class Responder:
    """Posts for the bot through its Web API client: answers (as text only when Slack refuses their
    blocks), notices, the 👀 reaction, and the assistant view's status, title and prompts."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def streamer(self, q: Question) -> AnswerStreamer:
        """A streamer for the answer to `q` (in its thread)."""
        return AnswerStreamer(self.client, q)

    def post(self, q: Question, message: SlackMessage, plain: str | None = None) -> str | None:
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
                self.respond(q.response_url, message, in_channel=True, plain=plain)
                return None
            if plain is None or error not in REFUSED:
                raise
            log.warning("Slack refused the answer in %s (%s%s); posting it as text only", q.channel, error, _details_of(exc))
        return self.post_plain(q, plain)

    def post_plain(self, q: Question, text: str) -> str | None:
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
                if error_of(exc) not in REFUSED or len(limits) == 1:
                    raise
                limits.pop(0)
                log.warning("Slack refused a text-only piece in %s (%s); splitting the rest into %d characters",
                            q.channel, error_of(exc), limits[0])
                pieces = pieces[:done] + split_text("\n".join(pieces[done:]), limits[0])
                continue
            first = first or str(response["ts"])
            done += 1
        return first

    def respond(self, response_url: str, message: SlackMessage, *, in_channel: bool, plain: str | None = None) -> None:
        """Send a message through a command's response_url (`plain` as text pieces when refused)."""
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

    def say(self, channel: str, text: str, *, thread_ts: str | None = None, user: str | None = None) -> None:
        """Post a short notice (ephemeral when `user` is given); a failure is only logged."""
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

    def warn(self, q: Question, text: str) -> None:
        """Tell the asker, in one line, that their question could not be answered."""
        if q.thread_ts:
            self.say(q.channel, text, thread_ts=q.thread_ts)
        elif q.response_url:  # /ask: only the asker sees it, even where the bot is not a member
            try:
                self.respond(q.response_url, notice_message(text), in_channel=False)
            except Exception:  # noqa: BLE001
                log.exception("posting a warning through response_url failed")
        else:
            self.say(q.channel, text, user=q.user)

    def react(self, method: str, q: Question) -> None:
        """Add or remove (`method`) the 👀 reaction on the question's message; a failure is only logged."""
        try:
            getattr(self.client, method)(channel=q.channel, timestamp=q.react_ts, name=EYES)
        except SlackApiError as exc:
            log.warning("%s %s on %s failed: %s", method, EYES, q.react_ts, exc.response.get("error"))
        except SlackClientError as exc:
            log.warning("%s %s on %s failed: %s", method, EYES, q.react_ts, exc)

    def status(self, q: Question, status: str, loading: list[str] | None = None) -> None:
        """assistant.threads.setStatus ("newsbot is searching ...", optionally rotating `loading`
        messages); a failure is only logged."""
        try:
            self.client.assistant_threads_setStatus(
                channel_id=q.channel, thread_ts=q.thread_ts or "", status=status, loading_messages=loading
            )
        except (SlackApiError, SlackClientError) as exc:
            log.warning("setting the assistant status in %s failed: %s", q.channel, error_of(exc))

    def title(self, q: Question, title: str) -> None:
        """assistant.threads.setTitle; a failure is only logged."""
        try:
            self.client.assistant_threads_setTitle(channel_id=q.channel, thread_ts=q.thread_ts or "", title=title)
        except (SlackApiError, SlackClientError) as exc:
            log.warning("setting the assistant thread title in %s failed: %s", q.channel, error_of(exc))

    def suggest(self, channel: str, thread_ts: str, prompts: list[dict[str, str]]) -> None:
        """assistant.threads.setSuggestedPrompts; a failure is only logged."""
        try:
            self.client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, title="Try asking:", prompts=prompts
            )
        except (SlackApiError, SlackClientError) as exc:
            log.warning("setting suggested prompts in %s failed: %s", channel, error_of(exc))
