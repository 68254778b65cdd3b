"""Bytes -> text for article files: what is not text at all, strict UTF-8, HTML's declared charset."""

from __future__ import annotations

import codecs
import re

from bot.schema import Skipped

_SNIFF_BYTES = 8192
_HTML_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)


def _sniff(data: bytes) -> str | None:
    """Why bytes are not an article file at all (empty, UTF-16, binary), or None."""
    if not data:
        return "empty file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text: save the file as UTF-8"
    if b"\x00" in data[:_SNIFF_BYTES]:
        return "binary file"
    return None


def _decode(data: bytes, name: str) -> str | Skipped:
    """Strict UTF-8 (a leading BOM is dropped); invalid bytes are reported, never replaced."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(name, f"not valid UTF-8 (byte offset {exc.start})")
    return text[1:] if text.startswith("\ufeff") else text


def _decode_html(data: bytes, name: str) -> str | Skipped:
    """HTML as UTF-8, or in the charset its <meta> declares when it is not UTF-8."""
    text = _decode(data, name)
    if not isinstance(text, Skipped):
        return text
    declared = _HTML_CHARSET.search(data[:_SNIFF_BYTES])
    if declared is None:
        return text
    charset = declared.group(1).decode("ascii")
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        return Skipped(name, f"{text.reason}; its declared charset {charset!r} is unknown")
    if codec == "utf-8":
        return text
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        return Skipped(name, f"not valid {charset} (byte offset {exc.start})")
