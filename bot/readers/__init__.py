"""Article readers: files and records -> `Article`, or `Skipped` saying where and why."""

from __future__ import annotations

from bot.readers.fields import (
    AUTHOR_FIELDS,
    DATE_FIELDS,
    EXTENSIONS,
    KNOWN_FIELDS,
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    META_FIELDS,
    NOTE_FIELDS,
    SOURCE_FIELDS,
    TEXT_FIELDS,
    TITLE_FIELDS,
    URL_FIELDS,
    clean_text,
    html_text,
    iter_files,
    plain_text,
    prepare_html,
    read_articles,
    read_date,
    read_file,
)

__all__ = [
    "AUTHOR_FIELDS", "DATE_FIELDS", "EXTENSIONS", "KNOWN_FIELDS", "MAX_FILE_BYTES", "MAX_LINE_BYTES",
    "META_FIELDS", "NOTE_FIELDS", "SOURCE_FIELDS", "TEXT_FIELDS", "TITLE_FIELDS", "URL_FIELDS",
    "clean_text", "html_text", "iter_files", "plain_text", "prepare_html", "read_articles",
    "read_date", "read_file",
]
