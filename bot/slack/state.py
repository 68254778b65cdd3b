"""Slack's state in the state database, shared by every process (on every host) serving the workspace.

Tables (all prefixed `slack_`, in the state database: the data dir's SQLite file, or PostgreSQL
with NEWSBOT_DATABASE_URL; schema in bot/database.py):
- seen: event ids and message keys already taken, with a time-to-live (Slack retries, and the same
  @mention delivered both as `app_mention` and `message`, are answered once, across processes);
- once: notices sent once per key (e.g. "not enabled in this channel");
- rate: recent questions per user, for per-user rate limiting;
- threads: threads the bot has answered in (a reply there without a mention is a follow-up);
- answers: what was answered (question, answer, citations) so a 👍/👎 click can be recorded in full;
- feedback: the votes, one per user and answer (a second click replaces the first).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.database import Connection, Database, open_database
from bot.errors import StoreError
from bot.schema import Citation

ANSWER_TTL_S = 30 * 24 * 3600  # answers are kept 30 days for feedback, then pruned
THREAD_TTL_S = 7 * 24 * 3600



class _Duplicate(Exception):
    """Raised inside `admit`'s transaction to roll back the keys it took."""


@dataclass(frozen=True)
class RateDecision:
    """Whether a user may ask now; when not, how long to wait and whether to tell them."""

    allowed: bool
    retry_after_s: float = 0.0
    notify: bool = False


class SlackState:
    """De-duplication, rate limiting and feedback in the state database (SQLite file or PostgreSQL)."""

    def __init__(self, path: Path | str, *, dedup_ttl_s: int = 3600) -> None:
        self.path = path
        self.dedup_ttl_s = dedup_ttl_s
        # One writer at a time within the process: threads queue on this lock in order instead of
        # on SQLite's busy handler, whose back-off sleeps add up under a burst. Other processes
        # still wait on the database's own lock.
        self._write_lock = threading.Lock()
        try:
            self.db: Database = open_database(path)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the Slack state in {path}: {exc}") from exc

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._write_lock, self.db.tx() as con:
            yield con

    def close(self) -> None:
        """Release this store's connections."""
        self.db.close()

    def claim(self, key: str, *, now: float | None = None) -> bool:
        """Take `key` (an event id, a message key) if nobody took it within the TTL; True if taken now."""
        now = time.time() if now is None else now
        with self._tx() as con:
            con.execute("DELETE FROM slack_seen WHERE at < ?", (now - self.dedup_ttl_s,))
            cur = con.execute("INSERT OR IGNORE INTO slack_seen(key, at) VALUES (?, ?)", (key, now))
            return cur.rowcount == 1

    def admit(
        self, keys: Sequence[str], *, user: str | None = None, limit: int = 0, window_s: float = 60.0
    ) -> RateDecision | None:
        """In one transaction: take every key (None when any was already taken, i.e. a duplicate),
        then, for `user`, count the question against the rate limit."""
        now = time.time()
        try:
            with self._tx() as con:
                con.execute("DELETE FROM slack_seen WHERE at < ?", (now - self.dedup_ttl_s,))
                # Each key is inserted unless present: a worker that meets a key another worker is
                # inserting waits for that transaction, then sees it taken (no read-then-write race).
                for k in dict.fromkeys(keys):
                    if con.execute("INSERT OR IGNORE INTO slack_seen(key, at) VALUES (?, ?)", (k, now)).rowcount != 1:
                        raise _Duplicate
                if user is None:
                    return RateDecision(True)
                return self._rate(con, user, limit, window_s, now)
        except _Duplicate:  # the keys taken before the duplicate one were rolled back
            return None

    def once(self, key: str) -> bool:
        """True the first time `key` is seen, ever (for notices sent once)."""
        with self._tx() as con:
            cur = con.execute("INSERT OR IGNORE INTO slack_once(key, at) VALUES (?, ?)", (key, time.time()))
            return cur.rowcount == 1

    def rate(self, user: str, *, limit: int, window_s: float = 60.0, now: float | None = None) -> RateDecision:
        """Count a question by `user` unless they asked `limit` times in the last `window_s` seconds."""
        now = time.time() if now is None else now
        with self._tx() as con:
            return self._rate(con, user, limit, window_s, now)

    def _rate(self, con: Connection, user: str, limit: int, window_s: float, now: float) -> RateDecision:
        if limit <= 0:
            return RateDecision(True)
        # Count and insert as one step per user, also across workers on a database server.
        self.db.lock_in(con, f"slack-rate:{user}")
        con.execute('DELETE FROM slack_rate WHERE "user" = ? AND at <= ?', (user, now - window_s))
        rows = con.execute(
            'SELECT at FROM slack_rate WHERE "user" = ? ORDER BY at LIMIT ?', (user, limit)
        ).fetchall()
        if len(rows) < limit:
            con.execute('INSERT INTO slack_rate("user", at) VALUES (?, ?)', (user, now))
            return RateDecision(True)
        retry_after = max(0.0, float(rows[0][0]) + window_s - now)
        warned = con.execute(
            'SELECT until FROM slack_rate_warned WHERE "user" = ?', (user,)
        ).fetchone()
        notify = warned is None or float(warned[0]) <= now
        if notify:
            con.execute(
                'INSERT OR REPLACE INTO slack_rate_warned("user", until) VALUES (?, ?)',
                (user, now + retry_after),
            )
        return RateDecision(False, retry_after, notify)

    def mark_thread(self, channel: str, thread_ts: str) -> None:
        """Remember that the bot answered in this thread."""
        now = time.time()
        with self._tx() as con:
            con.execute("DELETE FROM slack_threads WHERE at < ?", (now - THREAD_TTL_S,))
            con.execute(
                "INSERT OR REPLACE INTO slack_threads(channel, thread_ts, at) VALUES (?, ?, ?)",
                (channel, thread_ts, now),
            )

    def is_bot_thread(self, channel: str, thread_ts: str) -> bool:
        """Whether the bot answered in this thread recently."""
        rows = self.db.read(
            "SELECT 1 FROM slack_threads WHERE channel = ? AND thread_ts = ? AND at >= ?",
            (channel, thread_ts, time.time() - THREAD_TTL_S),
        )
        return bool(rows)

    def save_answer(
        self,
        answer_id: str,
        *,
        question: str,
        answer: str,
        abstained: bool,
        citations: Sequence[Citation],
        channel: str | None,
        thread_ts: str | None,
        asked_by: str | None,
    ) -> None:
        """Keep an answer so a later 👍/👎 click can be stored with its question and citations."""
        now = time.time()
        cites = json.dumps([c.to_json() for c in citations], ensure_ascii=False)
        with self._tx() as con:
            con.execute("DELETE FROM slack_answers WHERE at < ?", (now - ANSWER_TTL_S,))
            con.execute(
                "INSERT OR REPLACE INTO slack_answers(answer_id, question, answer, abstained, citations, channel,"
                " thread_ts, asked_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, question, answer, int(abstained), cites, channel, thread_ts, asked_by, now),
            )

    def record_vote(self, answer_id: str, *, user: str, channel: str | None, vote: str) -> bool:
        """Store `user`'s vote ('up' or 'down') on an answer; False when the answer is unknown."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        with self._tx() as con:
            row = con.execute(
                "SELECT question, answer, citations, channel FROM slack_answers WHERE answer_id = ?",
                (answer_id,),
            ).fetchone()
            if row is None:
                return False
            con.execute(
                'INSERT OR REPLACE INTO slack_feedback(answer_id, "user", channel, vote, question, answer, citations, at)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, user, channel or row[3], vote, row[0], row[1], row[2], time.time()),
            )
            return True

    def feedback(self) -> Iterator[dict[str, Any]]:
        """Every recorded vote, oldest first."""
        rows = self.db.read(
            'SELECT answer_id, "user", channel, vote, question, answer, citations, at '
            'FROM slack_feedback ORDER BY at, answer_id, "user"'
        )
        for answer_id, user, channel, vote, question, answer, citations, at in rows:
            yield {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
                "answer_id": answer_id,
                "user": user,
                "channel": channel,
                "vote": vote,
                "question": question,
                "answer": answer,
                "citations": json.loads(citations),
            }

    def export_feedback(self, out: TextIO) -> int:
        """Write the feedback as JSON Lines; returns the number of records."""
        n = 0
        for record in self.feedback():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
        return n
