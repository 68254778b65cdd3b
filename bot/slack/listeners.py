"""Slack's listeners: events, `/ask` and button clicks become questions, votes and notices.

`register(app, listeners)` adds them to the bolt app, one `register_*` per kind (events, the
slash command, the 👍/👎 actions, the assistant view). A listener acknowledges at once (bolt
answers Slack's HTTP request when the listener returns, so listeners only do a few SQLite writes),
filters (own and other bots' messages, edits, joins, channels not enabled), de-duplicates on
`event_id` and on the message itself (so an @mention delivered both as `app_mention` and `message`
is answered once), applies the per-user rate limit, and hands the `Question` on (`submit`). A
message with files attached is answered from its text; the files are not read (the bot says so when
the question asks about them).

Channel `message` events are answered only in DMs, and in threads the bot has answered in when the
reply mentions nobody (an @mention there arrives as `app_mention`). `/ask` is acknowledged with an
ephemeral line and answered in the channel afterwards. A new assistant-view thread gets a greeting
and suggested prompts from the newest articles.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Assistant, BoltContext

from bot.settings import Settings
from bot.slack.blocks import VOTE_DOWN, VOTE_UP, article_prompt, escape, plain_question
from bot.slack.state import SlackState
from bot.slack.streaming import Responder
from bot.slack.threads import Question, ThreadConversations

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

RATE_WINDOW_S = 60.0
# A person's message: plain, also sent to the channel, or with files attached (the text is answered;
# the files are not read). Edits, deletions, joins and bots' messages are not questions.
_ANSWERED_SUBTYPES = (None, "thread_broadcast", "file_share")
HINT_EMPTY = "Ask me a question about the news, for example: _Who is Xiaomi talking to?_"
GREETING = "Hi! Ask me about the news and I'll answer from the articles I have read, citing them."
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

# What the manifest (bot/slack/manifest.json) must grant for what the listeners take (the Web API
# methods: bot/slack/streaming.py's METHOD_SCOPES); the manifest test checks both ways. Events: the
# bot events each listener needs and their scopes.
EVENT_SCOPES: dict[str, str] = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",  # follow-ups in threads the bot answered in
    "message.groups": "groups:history",
    "message.im": "im:history",  # DMs, and the assistant view's threads
    "message.mpim": "mpim:history",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}
COMMAND_SCOPE = "commands"


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


@dataclass
class Listeners:
    """What the listeners do with an event, a command or a click: filter, de-duplicate, rate-limit,
    then hand a `Question` to `submit`; notices and greetings run through `background`."""

    settings: Settings
    state: SlackState
    threads: ThreadConversations
    responder: Responder
    pipeline: Pipeline
    _: KW_ONLY
    submit: Callable[[Question], bool]
    background: Callable[..., object]

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
            follow_up = thread_ts is not None and "<@" not in text and self.threads.is_followed(channel, thread_ts)
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
        self.background(self._greet, str(channel), str(thread_ts))

    def _greet(self, channel: str, thread_ts: str) -> None:
        self.responder.say(channel, GREETING, thread_ts=thread_ts)
        prompts = self.suggested_prompts()
        if not prompts:
            return
        self.responder.suggest(channel, thread_ts, prompts)

    def notify(self, channel: str, text: str, *, thread_ts: str | None = None, user: str | None = None) -> None:
        """Post a short notice off the request thread (ephemeral when `user` is given)."""
        self.background(self.responder.say, channel, text, thread_ts=thread_ts, user=user)


def register_events(app: App, listeners: Listeners) -> None:
    """Listeners for app_mention and message events."""

    def on_mention(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        ack()
        listeners.on_message_event(event, body, context.bot_user_id, mention=True)

    def on_message(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        ack()
        listeners.on_message_event(event, body, context.bot_user_id, mention=False)

    app.event("app_mention")(on_mention)
    app.event("message")(on_message)


def register_commands(app: App, listeners: Listeners) -> None:
    """The /ask slash command."""

    def on_ask(ack: Ack, command: dict[str, Any]) -> None:
        listeners.on_command(ack, command)

    app.command("/ask")(on_ask)


def register_actions(app: App, listeners: Listeners) -> None:
    """The 👍/👎 buttons."""

    def on_vote(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        listeners.on_vote(body, action)

    app.action(VOTE_UP)(on_vote)
    app.action(VOTE_DOWN)(on_vote)


def register_assistant(app: App, listeners: Listeners) -> None:
    """The assistant view (bolt's Assistant middleware): greeting and prompts, then questions.

    Questions in an assistant thread go through the same filters, queue and conversations as DMs;
    workspaces without the assistant view never send these events, and mentions, DMs and /ask work
    as before."""
    assistant = Assistant(logger=log)

    def on_started(event: dict[str, Any]) -> None:
        listeners.on_thread_started(event)

    def on_context_changed() -> None:
        return None  # the channel the user is looking at does not change what newsbot answers

    def on_user_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        listeners.on_message_event(event, body, context.bot_user_id, mention=False, assistant=True)

    assistant.thread_started(on_started)
    assistant.thread_context_changed(on_context_changed)
    assistant.user_message(on_user_message)
    app.use(assistant)


def register(app: App, listeners: Listeners) -> None:
    """Every listener."""
    register_assistant(app, listeners)
    register_events(app, listeners)
    register_commands(app, listeners)
    register_actions(app, listeners)
