"""Hosted and server chat models through LangChain's chat-model interface (the `llm` extra).

NEWSBOT_LLM=provider:model (openai:gpt-4.1-mini, anthropic:claude-..., ollama:qwen2.5) goes to
`langchain.chat_models.init_chat_model`; NEWSBOT_LLM_BASE_URL points any OpenAI-compatible server
(vLLM, llama.cpp server, Ollama) at the same code, with the provider defaulting to openai. Keys come
from the providers' usual environment variables (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) and are
never put in messages: errors are scrubbed of anything that looks like a key. Rate limits (429,
honouring Retry-After), connection errors and timeouts are retried by the provider client up to
`max_retries` times; what still fails becomes AnswerError.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from bot.errors import AnswerError, ConfigError

INSTALL_HINT = "pip install '.[llm]' (langchain-openai; other providers need their langchain-<provider> package)"
_KEY_VARS = ("NEWSBOT_EMBEDDINGS_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY",
             "TOGETHER_API_KEY", "FIREWORKS_API_KEY", "DEEPSEEK_API_KEY", "XAI_API_KEY", "COHERE_API_KEY")
_KEY_LIKE = re.compile(r"\b(?:sk|pk|rk|xox[abpr]|key|gsk|AIza)[-_][A-Za-z0-9_\-*.]{6,}|\bBearer\s+\S+", re.I)


def redact(message: str) -> str:
    """A message with API keys (known variables' values and key-shaped strings) blanked."""
    for var in _KEY_VARS:
        value = os.environ.get(var)
        if value and len(value) >= 6:
            message = message.replace(value, "[redacted]")
    return _KEY_LIKE.sub("[redacted]", message)


def one_line(message: str, limit: int = 300) -> str:
    """A redacted message on one line, cut to `limit` characters."""
    text = " ".join(redact(message).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def split_model(spec: str, base_url: str | None) -> tuple[str | None, str]:
    """'provider:model' -> (provider, model); a bare model name behind a base url is OpenAI-compatible."""
    provider, sep, model = spec.partition(":")
    if sep and provider and re.fullmatch(r"[a-z][a-z0-9_\-]*", provider):
        return provider.replace("-", "_"), model
    return ("openai" if base_url else None), spec


class ChatModelBackend:
    """A LangChain chat model selected by 'provider:model', optionally at an OpenAI-compatible base url."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        max_tokens: int = 400,
    ) -> None:
        if importlib.util.find_spec("langchain") is None:
            raise ConfigError(f"NEWSBOT_ANSWERER=llm needs the 'llm' extra: {INSTALL_HINT}")
        self.provider, self.model = split_model(model, base_url)
        if not self.model:
            raise ConfigError(f"NEWSBOT_LLM={model!r} names no model; use provider:model (e.g. openai:gpt-4.1-mini)")
        self.name = f"{self.provider or 'auto'}:{self.model}"
        self.serial = False  # a served model answers many requests at once
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._chat: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Build the chat model client (no network call)."""
        with self._lock:
            if self._chat is not None:
                return
            try:
                from langchain.chat_models import init_chat_model
            except ImportError as exc:
                raise ConfigError(f"NEWSBOT_ANSWERER=llm needs the 'llm' extra: {INSTALL_HINT}") from exc
            kwargs: dict[str, Any] = {
                "temperature": self.temperature,
                "timeout": self.timeout_s,
                "max_retries": self.max_retries,
                "max_tokens": self.max_tokens,
            }
            if self.base_url:
                kwargs["base_url"] = self.base_url
                if self.provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
                    kwargs["api_key"] = "unused"  # local OpenAI-compatible servers take any key
            try:
                self._chat = init_chat_model(self.model, model_provider=self.provider, **kwargs)
            except ImportError as exc:
                raise ConfigError(
                    f"NEWSBOT_LLM={self.name}: the provider's LangChain package is missing ({one_line(str(exc))}); "
                    f"install langchain-{(self.provider or 'openai').replace('_', '-')}"
                ) from exc
            except Exception as exc:  # noqa: BLE001 - a bad provider or model name, a missing key
                raise ConfigError(f"NEWSBOT_LLM={self.name} could not be set up: {one_line(str(exc), 200)}") from exc

    def complete(
        self, messages: Sequence[dict[str, str]], *, stream: bool = False, usage: dict[str, float] | None = None
    ) -> Iterator[str]:
        """Send the messages; yield the reply's text as it streams in (or whole).

        `usage`, when given, gets prompt_tokens and generated_tokens where the provider reports them.
        """
        self.warm_up()
        try:
            if not stream:
                message = self._chat.invoke(list(messages))
                _count(message, usage)
                yield _text(message)
                return
            for chunk in self._chat.stream(list(messages)):
                _count(chunk, usage)
                piece = _text(chunk)
                if piece:
                    yield piece
        except GeneratorExit:
            raise
        except Exception as exc:  # noqa: BLE001 - every client error becomes one AnswerError
            raise AnswerError(self._describe(exc)) from exc

    def _describe(self, exc: BaseException) -> str:
        """One line saying what went wrong and what to do, with no key in it."""
        kind = type(exc).__name__
        detail = one_line(str(exc))
        if "timeout" in kind.lower():
            return f"the LLM {self.name} did not answer within {self.timeout_s:g} s, {self.max_retries + 1} tries ({kind})"
        if "authentication" in kind.lower() or "permission" in kind.lower():
            return f"the LLM {self.name} refused the API key; check the provider's key variable ({kind}): {detail}"
        if "ratelimit" in kind.lower():
            return f"the LLM {self.name} is rate limiting us after {self.max_retries + 1} tries ({kind}): {detail}"
        if "connection" in kind.lower():
            where = f" at {self.base_url}" if self.base_url else ""
            return f"the LLM {self.name} could not be reached{where} ({kind}): {detail}"
        return f"the LLM {self.name} failed ({kind}): {detail}"


def _text(message: Any) -> str:
    """The text of an AI message or chunk (content may be a string or a list of blocks)."""
    text = getattr(message, "text", None)
    if isinstance(text, str):  # langchain-core 1.x: a str property
        return str(text)
    content = getattr(message, "content", "")
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")


def _count(message: Any, usage: dict[str, float] | None) -> None:
    """Add a message's (or a streamed chunk's) token counts to `usage`, when the provider sent them."""
    meta = getattr(message, "usage_metadata", None)
    if usage is None or not meta:
        return
    usage["prompt_tokens"] = usage.get("prompt_tokens", 0) + int(meta.get("input_tokens") or 0)
    usage["generated_tokens"] = usage.get("generated_tokens", 0) + int(meta.get("output_tokens") or 0)
