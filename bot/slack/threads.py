"""How a Slack thread becomes a conversation.

A question taken from Slack (`Question`) is answered in its thread, and the thread holds one
conversation (`SessionStore`, key `slack:{channel}:{thread_ts}`: `session_key`), so a follow-up is
read in the light of the earlier turns. `/ask` has no thread yet: it starts a new conversation, which
the thread under its answer continues. The threads the bot answered in are remembered
(`SlackState.mark_thread`), so a reply there without a mention is a follow-up.

A question takes its turn in its thread (`ThreadTurn`) when it is admitted, so the questions of one
thread read and record its conversation one after another, in the order they were asked, while
questions in other threads go ahead.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from bot.conversation import Conversation, SessionStore
from bot.slack.state import SlackState


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


@dataclass
class ThreadTurn:
    """A question's turn in its thread's conversation, after the questions admitted before it there."""

    key: str  # the conversation's session key
    save: bool  # a thread's conversation is saved under `key`; a /ask question's new one is not
    after: threading.Event | None  # set when the question before it in the thread is done; None: none open
    done: threading.Event = field(default_factory=threading.Event)
    conversation: Conversation | None = None


class ThreadConversations:
    """The conversation each Slack thread holds, read and recorded by one question at a time per thread."""

    def __init__(self, sessions: SessionStore, state: SlackState) -> None:
        self.sessions = sessions
        self.state = state
        self._lock = threading.Lock()
        self._last: dict[str, ThreadTurn] = {}  # each thread's latest open turn (only threads with one)

    def take(self, q: Question) -> ThreadTurn:
        """The question's turn in its thread, after those taken before it there (call in admission order;
        a /ask question starts a new conversation, so its turn is never behind another)."""
        key = session_key(q.channel, q.thread_ts) if q.thread_ts else f"slack:{q.channel}:new:{uuid.uuid4().hex}"
        with self._lock:
            before = self._last.get(key)
            turn = ThreadTurn(key, bool(q.thread_ts), before.done if before is not None else None)
            self._last[key] = turn
        return turn

    def conversation(self, turn: ThreadTurn) -> Conversation:
        """The turn's conversation, loaded once the questions before it in the thread are done."""
        if turn.conversation is None:
            if turn.after is not None:
                turn.after.wait()
            turn.conversation = self.sessions.load(turn.key)
        return turn.conversation

    def release(self, turn: ThreadTurn, *, save: bool = False) -> None:
        """End the turn (once; later calls do nothing): with `save`, store the conversation it recorded
        in, then let the next question in the thread read it."""
        if turn.done.is_set():
            return
        try:
            if save and turn.save and turn.conversation is not None:
                self.sessions.save(turn.key, turn.conversation)
        finally:
            with self._lock:
                if self._last.get(turn.key) is turn:
                    del self._last[turn.key]
            turn.done.set()

    def answered(self, q: Question, conversation: Conversation, posted_ts: str | None) -> str | None:
        """Remember that the bot answered in the question's thread (for /ask, the thread of its answer
        `posted_ts`, which continues `conversation`); that thread's ts (None: no thread to follow)."""
        thread_ts = q.thread_ts or posted_ts
        if thread_ts:
            if not q.thread_ts:  # /ask: its answer's thread continues this conversation
                self.sessions.save(session_key(q.channel, thread_ts), conversation)
            self.state.mark_thread(q.channel, thread_ts)
        return thread_ts

    def is_followed(self, channel: str, thread_ts: str) -> bool:
        """Whether the bot answered in this thread recently (a reply there is a follow-up)."""
        return self.state.is_bot_thread(channel, thread_ts)
