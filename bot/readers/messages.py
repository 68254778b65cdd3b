"""How readers word what they report: a value's kind, a value quoted, an error's first line."""

from __future__ import annotations


def _shown(value: object) -> str:
    """A value as a message quotes it: strings in double quotes, shortened; others by kind."""
    if isinstance(value, str):
        return f'"{value[:80]}…"' if len(value) > 80 else f'"{value}"'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'"{value}"'
    return _kind(value)


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"


def _kind(value: object) -> str:
    """A JSON/YAML value's kind in words, for messages."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
