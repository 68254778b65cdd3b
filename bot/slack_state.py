"""Slack's state in SQLite under the data dir, shared by every process serving the same workspace.

Tables (all prefixed `slack_`, in the settings' state file):
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

from bot.errors import StoreError
from bot.schema import Citation

ANSWER_TTL_S = 30 * 24 * 3600  # answers are kept 30 days for feedback, then pruned
THREAD_TTL_S = 7 * 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_seen (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS slack_seen_at ON slack_seen(at);
CREATE TABLE IF NOT EXISTS slack_once (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS slack_rate (user TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS slack_rate_user ON slack_rate(user, at);
CREATE TABLE IF NOT EXISTS slack_rate_warned (user TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS slack_threads (
    channel TEXT NOT NULL, thread_ts TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (channel, thread_ts)
);
CREATE TABLE IF NOT EXISTS slack_answers (
    answer_id TEXT PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL,
    abstained INTEGER NOT NULL, citations TEXT NOT NULL, channel TEXT, thread_ts TEXT,
    asked_by TEXT, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_answers_at ON slack_answers(at);
CREATE TABLE IF NOT EXISTS slack_feedback (
    answer_id TEXT NOT NULL, user TEXT NOT NULL, channel TEXT, vote TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (answer_id, user)
);
"""


@dataclass(frozen=True)
class RateDecision:
    """Whether a user may ask now; when not, how long to wait and whether to tell them."""

    allowed: bool
    retry_after_s: float = 0.0
    notify: bool = False


class SlackState:
    """SQLite-backed de-duplication, rate limiting and feedback (WAL, one connection per thread)."""

    def __init__(self, path: Path, *, dedup_ttl_s: int = 3600) -> None:
        self.path = path
        self.dedup_ttl_s = dedup_ttl_s
        self._local = threading.local()
        # One writer at a time within the process: threads queue on this lock in order instead of
        # on SQLite's busy handler, whose back-off sleeps add up under a burst. Other processes
        # still wait on SQLite's lock (busy_timeout).
        self._write_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._tx() as con:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    con.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the Slack state in {path}: {exc}") from exc

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con = con
        return con

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        con = self._con()
        with self._write_lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

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
        with self._tx() as con:
            con.execute("DELETE FROM slack_seen WHERE at < ?", (now - self.dedup_ttl_s,))
            marks = ",".join("?" * len(keys))
            if keys and con.execute(f"SELECT 1 FROM slack_seen WHERE key IN ({marks})", tuple(keys)).fetchone():
                return None
            con.executemany("INSERT INTO slack_seen(key, at) VALUES (?, ?)", [(k, now) for k in dict.fromkeys(keys)])
            if user is None:
                return RateDecision(True)
            return self._rate(con, user, limit, window_s, now)

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

    @staticmethod
    def _rate(con: sqlite3.Connection, user: str, limit: int, window_s: float, now: float) -> RateDecision:
        if limit <= 0:
            return RateDecision(True)
        con.execute("DELETE FROM slack_rate WHERE user = ? AND at <= ?", (user, now - window_s))
        rows = con.execute(
            "SELECT at FROM slack_rate WHERE user = ? ORDER BY at LIMIT ?", (user, limit)
        ).fetchall()
        if len(rows) < limit:
            con.execute("INSERT INTO slack_rate(user, at) VALUES (?, ?)", (user, now))
            return RateDecision(True)
        retry_after = max(0.0, float(rows[0][0]) + window_s - now)
        warned = con.execute(
            "SELECT until FROM slack_rate_warned WHERE user = ?", (user,)
        ).fetchone()
        notify = warned is None or float(warned[0]) <= now
        if notify:
            con.execute(
                "INSERT OR REPLACE INTO slack_rate_warned(user, until) VALUES (?, ?)",
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
        row = self._con().execute(
            "SELECT 1 FROM slack_threads WHERE channel = ? AND thread_ts = ? AND at >= ?",
            (channel, thread_ts, time.time() - THREAD_TTL_S),
        ).fetchone()
        return row is not None

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
                "INSERT OR REPLACE INTO slack_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                "INSERT OR REPLACE INTO slack_feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, user, channel or row[3], vote, row[0], row[1], row[2], time.time()),
            )
            return True

    def feedback(self) -> Iterator[dict[str, Any]]:
        """Every recorded vote, oldest first."""
        rows = self._con().execute(
            "SELECT answer_id, user, channel, vote, question, answer, citations, at "
            "FROM slack_feedback ORDER BY at, answer_id, user"
        ).fetchall()
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
