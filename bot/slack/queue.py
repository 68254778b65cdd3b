"""The answer queue: questions answered in the order they were taken, each knowing its place.

`Turnstile` hands out tickets in submission order and lets at most `capacity` of them through at
once (one for a single local model, whose generations run one at a time anyway; the worker count
otherwise). A ticket waiting its turn can ask how many questions are ahead of it, so the bot can
say "2 questions ahead of yours" and update it as the queue moves. The Slack bot gates only the
model's part of an answer with it: a question is prepared (retrieval, the preliminary answer) as
soon as it holds a ticket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class QueueFull(Exception):
    """Raised by `Turnstile.take` when `limit` questions are already taken and unanswered."""


class Turnstile:
    """First-come-first-served admission for at most `capacity` answers at a time, `limit` taken in all."""

    def __init__(self, capacity: int, limit: int) -> None:
        self.capacity = max(1, capacity)
        self.limit = max(self.capacity, limit)
        self._cond = threading.Condition()
        self._next = 0
        self._open: list[int] = []  # tickets taken and not yet done, in order

    def take(self) -> int:
        """A new ticket at the back of the queue; QueueFull when `limit` are already open."""
        with self._cond:
            if len(self._open) >= self.limit:
                raise QueueFull(f"{len(self._open)} questions are already waiting")
            ticket = self._next
            self._next += 1
            self._open.append(ticket)
            return ticket

    def ahead(self, ticket: int) -> int:
        """Questions taken before `ticket` and not answered yet (0 when the ticket is not open)."""
        with self._cond:
            return self._ahead(ticket)

    def _ahead(self, ticket: int) -> int:
        try:
            return self._open.index(ticket)
        except ValueError:
            return 0

    @property
    def open(self) -> int:
        """Tickets taken and not done."""
        with self._cond:
            return len(self._open)

    def wait_turn(self, ticket: int, on_move: Callable[[int], None] | None = None, timeout: float | None = None) -> bool:
        """Block until `ticket` may run (fewer than `capacity` ahead of it); False after `timeout` s.

        `on_move(ahead)` is called, without the lock held, each time the number ahead changes while waiting.
        """
        end = None if timeout is None else time.monotonic() + timeout
        told = -1
        while True:
            with self._cond:
                ahead = self._ahead(ticket)
                while ahead >= self.capacity and ahead == told:
                    left = None if end is None else end - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                    ahead = self._ahead(ticket)
                if ahead < self.capacity:
                    return True
            told = ahead
            if on_move is not None:
                on_move(ahead)

    def done(self, ticket: int) -> None:
        """Leave the queue (answered, failed or dropped), letting the next ticket through."""
        with self._cond:
            if ticket in self._open:
                self._open.remove(ticket)
            self._cond.notify_all()
