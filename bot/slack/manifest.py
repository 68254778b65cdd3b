"""The Slack app manifest newsbot needs, kept in `manifest.json` beside this module.

`render(url=..., socket=...)` fills the request urls (HTTP mode) or enables Socket Mode (and drops
the urls Slack then ignores); `newsbot slack manifest` prints it as JSON or YAML for "Create an app
from a manifest". tests/test_slack_manifest.py keeps the file in step with the listeners the bot
registers and the Web API methods it calls (`bot.slack.listeners.EVENT_SCOPES`,
`bot.slack.streaming.METHOD_SCOPES`).
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]

from bot.errors import ConfigError

EVENTS_PATH = "/slack/events"
PLACEHOLDER = "https://HOST/slack/events"


def load() -> dict[str, Any]:
    """The manifest as stored (request urls are the https://HOST placeholder)."""
    text = resources.files("bot.slack").joinpath("manifest.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def request_url(url: str) -> str:
    """`https://HOST[/prefix]` -> the events url; ConfigError naming --url when it is not https://HOST."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"--url {url!r} must be an https:// address such as https://newsbot.example.com (Slack sends events only over https)")
    path = parts.path.rstrip("/")
    if not path.endswith(EVENTS_PATH):
        path += EVENTS_PATH
    return f"https://{parts.netloc}{path}"


def render(*, url: str | None = None, socket: bool = False) -> dict[str, Any]:
    """The manifest for HTTP mode at `url` or for Socket Mode; ConfigError when neither or both are given."""
    if bool(url) == socket:
        raise ConfigError("newsbot slack manifest needs exactly one of --url https://HOST (HTTP mode) or --socket")
    data = copy.deepcopy(load())
    settings = data["settings"]
    commands = data["features"].get("slash_commands", [])
    if socket:
        settings["socket_mode_enabled"] = True
        settings["event_subscriptions"].pop("request_url", None)
        settings["interactivity"].pop("request_url", None)
        for command in commands:
            command.pop("url", None)
    else:
        assert url is not None
        events = request_url(url)
        settings["socket_mode_enabled"] = False
        settings["event_subscriptions"]["request_url"] = events
        settings["interactivity"]["request_url"] = events
        for command in commands:
            command["url"] = events
    return data


def dump(data: dict[str, Any], fmt: str = "json") -> str:
    """The manifest as `json` or `yaml` text (Slack's app settings take either)."""
    if fmt == "yaml":
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    raise ConfigError(f"unknown manifest format {fmt!r}; valid: json, yaml")
