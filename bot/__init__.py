"""newsbot: answers questions from a corpus of news articles, with citations you can check."""

from __future__ import annotations

__version__ = "0.1.0"
