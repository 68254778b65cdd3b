"""The Slack tests' shared names: tokens, the small corpus, a served bot (`Running`), what a posted
message shows (`texts_of`), and a subprocess's output read in the background (`Output`).

The fixtures built from them (`pipeline`, `fake`, `serve`) are in tests/slack/conftest.py."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_fake import FakeSlack, event_body, post_event

from bot.schema import Article
from bot.slack.app import HttpServer, SlackBot

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
ROOT = Path(__file__).resolve().parent.parent  # the repository

# five articles: two on talks, one with mrkdwn and orders to the reader in its text, one without a url
ARTICLES = [Article(**a) for a in json.loads((ROOT / "tests" / "data" / "slack_articles.json").read_text(encoding="utf-8"))]


@dataclass
class Running:
    """A served bot, its fake Slack and how to talk to it."""

    bot: SlackBot
    server: HttpServer
    fake: FakeSlack
    secret: str

    @property
    def url(self) -> str:
        return self.server.url + "/slack/events"

    def send(self, event: dict[str, Any], **kwargs: Any) -> tuple[int, bytes, float]:
        return post_event(self.url, self.secret, event_body(event, **kwargs))

    def send_body(self, body: dict[str, Any], **kwargs: Any) -> tuple[int, bytes, float]:
        return post_event(self.url, self.secret, body, **kwargs)

    def idle(self) -> None:
        assert self.bot.wait_idle(60), "the bot did not finish its work"


def texts_of(msg: dict[str, Any]) -> str:
    """Everything a posted message shows: fallback text and every block's text."""
    return json.dumps({"text": msg.get("text"), "blocks": msg.get("blocks")}, ensure_ascii=False)


class Output:
    """A subprocess's combined output, read in the background."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if found := re.search(pattern, line):
                        return found
                left = deadline - time.monotonic()
                assert left > 0, f"no {pattern!r} in output:\n{''.join(self.lines)}"
                self._cond.wait(left)

    def text(self) -> str:
        self._thread.join(30)
        return "".join(self.lines)
