"""The answer stage's interface: what an answerer is and what it declares.

- `Answerer`: a `Query` and its retrieved hits -> a `Reply` (`answer`), or the same reply's checked
  text as it comes (`stream`). What callers need to know is declared in `Capabilities`, never probed:
  whether it streams text as it is generated, whether it has a model worth loading before the first
  question, how many passages it reads, whether it answers one question at a time (one local model),
  and the chat model behind it, for the steps that ask a model something else (condensing a follow-up).
- `ChatBackend`: a chat model (the local llama.cpp model, or a LangChain chat model).
- `AnswerStream`: checked text as it comes, then the final reply.
- `passage_budget`: the one place that decides how many passages a question retrieves and an answerer reads.

The names settings accept, with each answerer's factory, are one registry: bot/settings.py `ANSWERERS`
(bot/pipeline.py `make_answerer` builds the one settings names). Imports only the base modules
(schema, temporal).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.schema import Hit, Query, Reply
from bot.temporal import LIST_K, spans_articles

Message = dict[str, str]  # a chat message: {"role": "system" | "user" | "assistant", "content": text}


@dataclass(frozen=True)
class Capabilities:
    """What an answerer declares to its callers (the pipeline, the chain, the Slack bot).

    streams: `stream` yields checked text while the model generates (else the whole text once, at the end).
    warm_up: `warm_up` loads a model worth loading before the first question.
    passages: the most passages it reads of the hits it is given (0: all of them).
    serial: it answers one question at a time (one local model): callers queue questions, not pool them.
    """

    streams: bool = False
    warm_up: bool = False
    passages: int = 0
    serial: bool = False


class ChatBackend(Protocol):
    """A chat model: messages in, the reply's text out in pieces (one piece when not streaming).

    `serial` is true for a model that generates one reply at a time (a local llama.cpp context).
    """

    name: str
    serial: bool

    def warm_up(self) -> None:
        """Load the model (or build its client) now rather than on the first question."""
        ...

    def complete(
        self, messages: Sequence[Message], *, stream: bool = False, usage: dict[str, float] | None = None
    ) -> Iterator[str]:
        """Generate the assistant's reply to `messages`; fill `usage` (token counts, ms) where the model reports them.

        Raises AnswerError when the model fails (timeout, refused key, prompt too long).
        """
        ...


class AnswerStream:
    """Checked answer text as it is generated; `reply` is the final Reply once the text is consumed."""

    def __init__(self, chunks: Iterator[str], box: list[Reply]) -> None:
        self._chunks = chunks
        self._box = box

    @classmethod
    def whole(cls, reply: Reply) -> AnswerStream:
        """A stream of an answer already made: its text once, then the reply."""
        return cls(iter([reply.text]), [reply])

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> str:
        return next(self._chunks)

    def close(self) -> None:
        """Stop generating (releases the model)."""
        close = getattr(self._chunks, "close", None)  # a generator's; a plain iterator has none
        if close is not None:
            close()

    @property
    def reply(self) -> Reply:
        """The checked reply with its citations (runs the rest of the generation if needed)."""
        for _ in self._chunks:
            pass
        if not self._box:
            raise RuntimeError("the answer stream was closed before it finished")
        return self._box[0]


class Answerer(Protocol):
    """Turns a query and its retrieved passages into an answer with citations.

    `query` may be a bare question string: a Query with nothing carried, no filters and nothing to avoid.
    """

    name: str
    capabilities: Capabilities
    chat: ChatBackend | None  # the chat model behind it (None: no model), e.g. for condensing follow-ups

    def answer(self, query: Query | str, hits: Sequence[Hit]) -> Reply:
        """Answer from the hits only; abstain when they do not hold the answer.

        `query.avoid` holds quotes already given earlier in the conversation: prefer new information.
        Raises AnswerError when a model behind it fails.
        """
        ...

    def stream(self, query: Query | str, hits: Sequence[Hit]) -> AnswerStream:
        """Like `answer`, the text as it comes (all at once unless `capabilities.streams`)."""
        ...

    def warm_up(self) -> None:
        """Load what the first answer would otherwise wait for (nothing, for an answerer without a model)."""
        ...


@dataclass(frozen=True)
class Budget:
    """How many passages a question retrieves (`retrieve`) and the answerer reads of them (`read`; 0: all)."""

    retrieve: int
    read: int


def passage_budget(question: str, *, top_k: int, reads: int = 0, k: int | None = None) -> Budget:
    """The passage budget for a (standalone) question: `k` when the caller asks for that many, else
    `top_k` (NEWSBOT_TOP_K) or the answerer's `reads` when it reads more. A list, count or timeline
    question (bot/temporal.py `spans_articles`) gathers one item per article, so it retrieves, and an
    answerer with a limit reads, at least LIST_K."""
    retrieve = k if k else max(top_k, reads)
    read = reads
    if spans_articles(question):
        retrieve = max(retrieve, LIST_K)
        read = max(reads, LIST_K) if reads else 0
    return Budget(retrieve, read)
