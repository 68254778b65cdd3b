"""Conversations: turn a follow-up into a standalone question, and keep turns per session.

The default (no LLM) condenser resolves pronouns and elliptical follow-ups from the previous turns:
it carries over the names the earlier questions and answers were about, and asks retrieval to prefer
the articles already cited. With an LLM answerer, the pipeline supplies a LangChain condense-question
step instead (`bot.chain.make_llm_condenser`; any callable `(history, question) -> str` works). Sessions (REPL, `ask --session`, Slack
threads) are stored in the state database (SQLite under the data dir, or PostgreSQL).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.database import Database, open_database
from bot.schema import Answer

_PRONOUNS = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|"
    r"the (company|companies|firm|carmaker|automaker|deal|plant|factory|report|partnership|talks|two|"
    r"group|country|government|bank|president|leader|team|move|plan|story|article))\b",
    re.IGNORECASE,
)
_FOLLOWUP_START = re.compile(r"^\s*(and|also|so|but|what about|how about|then)\b", re.IGNORECASE)
_WH_START = re.compile(r"^\s*(why|when|where|how)\b", re.IGNORECASE)
_NAME = re.compile(r"\b([A-Z][\w&.-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w&.-]*)*)")
_SKIP_NAMES = frozenset(
    "I The A An And But So What Which Who Whom Whose When Where Why How Is Are Was Were Do Does Did "
    "Also According It They He She This That These Those In On At For With By From If As".split()
)

Condenser = Callable[[list["Turn"], str], str]
MAX_TURNS = 8


@dataclass
class Turn:
    """One question and its answer."""

    question: str
    standalone: str
    answer: str
    abstained: bool
    doc_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    """The turns of one conversation and how to read a follow-up in their light."""

    turns: list[Turn] = field(default_factory=list)
    condenser: Condenser | None = None

    def follow_up(self, question: str, condenser: Condenser | None = None) -> tuple[str, tuple[str, ...]]:
        """The question as it stands alone for retrieval, and the names carried from earlier turns.

        With a `condenser` (or the conversation's own), e.g. an LLM step, the question is rewritten and
        nothing is carried; the rule-based reading keeps the question and carries the names the earlier
        turns were about (`carried_names`). A question that already stands alone is unchanged.
        """
        if not self.turns:
            return question, ()
        condenser = condenser or self.condenser
        if condenser is not None:
            rewritten = condenser(self.turns[-MAX_TURNS:], question).strip()
            return rewritten or question, ()
        carried = carried_names(self.turns, question)
        return (question.rstrip(), carried) if carried else (question, ())

    def prefer_docs(self) -> tuple[str, ...]:
        """Articles cited in the last answered turn, which a follow-up most likely asks about."""
        for turn in reversed(self.turns):
            if not turn.abstained and turn.doc_ids:
                return tuple(turn.doc_ids)
        return ()

    def given_quotes(self) -> tuple[str, ...]:
        """Quotes already shown in this conversation (a follow-up wants something new)."""
        return tuple(q for turn in self.turns[-3:] for q in turn.quotes)

    def record(self, answer: Answer) -> None:
        """Add an answered turn."""
        doc_ids = list(dict.fromkeys(h.passage.doc_id for h in answer.hits if any(
            c.chunk_id == h.passage.chunk_id for c in answer.citations)))
        self.turns.append(
            Turn(
                question=answer.question,
                standalone=answer.standalone_query or answer.question,
                answer=answer.text,
                abstained=answer.abstained,
                doc_ids=doc_ids,
                titles=[c.title for c in answer.citations if c.title],
                quotes=[c.quote for c in answer.citations],
            )
        )
        del self.turns[:-MAX_TURNS]

    def reset(self) -> None:
        """Forget every turn."""
        self.turns.clear()

    def to_json(self) -> str:
        """Serialised turns."""
        return json.dumps([asdict(t) for t in self.turns])

    @classmethod
    def from_json(cls, text: str) -> Conversation:
        """Turns from their serialised form."""
        return cls([Turn(**t) for t in json.loads(text)])


def is_followup(question: str) -> bool:
    """Whether a question leans on earlier turns (pronouns, 'and ...', or very short)."""
    names = [n for n in _NAME.findall(question) if n.split()[0] not in _SKIP_NAMES]
    if _PRONOUNS.search(question) or _FOLLOWUP_START.search(question):
        return True
    # "When?" or "Why did it fall?" lean on the earlier turns; "When does Xiaomi ..." does not.
    if _WH_START.search(question) and not names:
        return True
    return len(question.split()) <= 4 and not names


def names_in(text: str) -> list[str]:
    """Capitalised names in a text, in order, without sentence-initial function words."""
    out: list[str] = []
    for match in _NAME.findall(text):
        parts = match.split()
        while parts and parts[0] in _SKIP_NAMES:
            parts = parts[1:]
        name = " ".join(parts).strip(".")
        if len(name) > 1 and name not in out:
            out.append(name)
    return out


def carried_names(turns: list[Turn], question: str) -> tuple[str, ...]:
    """Rule-based condensing: the names of the previous turns' subject that a follow-up leans on
    (at most six; none when the question stands alone)."""
    if not is_followup(question):
        return ()
    present = question.lower()
    carried: list[str] = []
    for turn in reversed(turns[-3:]):
        # The earlier question names the subject; the answer names what was found.
        for name in names_in(turn.standalone) + names_in(turn.answer)[:3]:
            if name.lower() not in present and name not in carried:
                carried.append(name)
        if carried:
            break
    return tuple(carried[:6])


def condense(turns: list[Turn], question: str) -> str:
    """Rule-based condensing as one line: the follow-up with the carried names after it in brackets
    ("What would they buy? (Xiaomi BAIC)"), as `Query.search_text` writes it."""
    carried = carried_names(turns, question)
    return f"{question.rstrip()} ({' '.join(carried)})" if carried else question


class SessionStore:
    """Conversations stored by key (REPL session name, `ask --session`, Slack thread) in the state
    database: the data dir's SQLite file, or PostgreSQL shared by every host (bot/database.py)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.db: Database = open_database(path)

    def load(self, key: str, condenser: Condenser | None = None) -> Conversation:
        """The conversation under a key (empty when new)."""
        rows = self.db.read("SELECT turns FROM sessions WHERE key=?", (key,))
        conv = Conversation.from_json(str(rows[0][0])) if rows else Conversation()
        conv.condenser = condenser
        return conv

    def save(self, key: str, conversation: Conversation) -> None:
        """Store a conversation under a key."""
        with self.db.tx() as con:
            con.execute(
                "INSERT OR REPLACE INTO sessions(key, turns, updated) VALUES (?, ?, ?)",
                (key, conversation.to_json(), time.time()),
            )

    def reset(self, key: str) -> None:
        """Forget a conversation."""
        with self.db.tx() as con:
            con.execute("DELETE FROM sessions WHERE key=?", (key,))

    def keys(self) -> list[str]:
        """Every stored session key."""
        return [str(r[0]) for r in self.db.read("SELECT key FROM sessions ORDER BY updated DESC")]

    def close(self) -> None:
        """Release this store's connections."""
        self.db.close()


def session_info(conv: Conversation) -> dict[str, Any]:
    """A summary of a conversation for `--json`."""
    return {"turns": len(conv.turns), "prefer_docs": list(conv.prefer_docs())}
