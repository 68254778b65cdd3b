"""Errors newsbot raises. Front ends turn them into one-line messages.

NewsbotError
 +-- ConfigError        a setting is missing or invalid (names the variable)
 +-- ReadError          an article file or record could not be read (names the file and line)
 +-- IndexEmptyError    a question was asked before anything was ingested
 +-- IndexBusyError     another ingest holds the index lock
 +-- StoreError         the vector store (Chroma) failed
 +-- EmbedError         the embedding model failed or could not be loaded
 +-- AnswerError        the answerer (local or hosted LLM) failed
 +-- QuestionError      the question itself is unusable (empty, too long)
 +-- FetchError         a URL could not be fetched or read as a feed, sitemap or article ("URL: reason")
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """A setting is missing or invalid."""


class ReadError(NewsbotError):
    """An article file or record could not be read."""


class IndexEmptyError(NewsbotError):
    """The index holds no articles yet."""


class IndexBusyError(NewsbotError):
    """Another process is ingesting into the same index."""


class StoreError(NewsbotError):
    """The vector store failed."""


class EmbedError(NewsbotError):
    """The embedding model failed."""


class AnswerError(NewsbotError):
    """The answerer failed."""


class QuestionError(NewsbotError):
    """The question cannot be answered as asked (empty or too long)."""


class FetchError(NewsbotError):
    """A URL could not be fetched, or what it returned is not a feed, sitemap or article."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
