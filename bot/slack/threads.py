"""How a Slack thread becomes a conversation.

A question taken from Slack (`Question`) is answered in its thread, and the thread holds one
conversation (`SessionStore`, key `slack:{channel}:{thread_ts}`: `session_key`), so a follow-up is
read in the light of the earlier turns. `/ask` has no thread yet: it starts a new conversation, which
the thread under its answer continues. The threads the bot answered in are remembered
(`SlackState.mark_thread`), so a reply there without a mention is a follow-up.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.conversation import Conversation, SessionStore
from bot.slack.state import SlackState

_LOCK_STRIPES = 64


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


class ThreadConversations:
    """The conversation each Slack thread holds, answered one question at a time per thread."""

    def __init__(self, sessions: SessionStore, state: SlackState) -> None:
        self.sessions = sessions
        self.state = state
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    @contextmanager
    def turn(self, q: Question) -> Iterator[Conversation]:
        """The question's conversation, its thread locked while it is answered and saved after (a
        /ask question's is new: `answered` saves it under the thread its answer starts)."""
        key = session_key(q.channel, q.thread_ts) if q.thread_ts else f"slack:{q.channel}:new:{uuid.uuid4().hex}"
        with self._locks[hash(key) % _LOCK_STRIPES]:  # one answer at a time per thread
            conversation = self.sessions.load(key)
            yield conversation
            if q.thread_ts:
                self.sessions.save(key, conversation)

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
