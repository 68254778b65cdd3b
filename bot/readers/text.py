"""Markdown and plain text files, with optional YAML front matter between '---' lines."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml  # type: ignore[import-untyped]

from bot.readers.fields import KNOWN_FIELDS, _fields, _metadata, _one_line, clean_text
from bot.readers.messages import _first_line, _kind
from bot.schema import Article, Notice, Skipped

_FRONT_OPEN = re.compile(r"---[ \t]*(?:\n|\Z)")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_MD_TITLE = re.compile(r"^#[ \t]+(.*)$", re.M)  # linear: closing #s are trimmed in Python

_YAML_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FrontMatterLoader(_YAML_BASE):  # type: ignore[misc]
    """Safe YAML loader that leaves dates as strings (read_date decides, a bad day is no crash)."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _YAML_BASE.yaml_implicit_resolvers.items()
    }


def _parse_text(text: str, name: str, *, markdown: bool) -> Iterator[Article | Skipped]:
    """Markdown or plain text with optional YAML front matter between '---' lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: Mapping[str, Any] = {}
    notes: list[Notice] = []
    opening = _FRONT_OPEN.match(text)
    if opening:
        closing = _FRONT_CLOSE.search(text, opening.end())
        block = text[opening.end():closing.start()] if closing else text[opening.end():]
        loaded = _load_yaml(block, name) if closing else None
        if _looks_like_fields(block) and closing is None:
            yield Skipped(name, "front matter is not closed: add a '---' line after it", line=1)
            return
        if isinstance(loaded, Skipped) and _looks_like_fields(block):
            yield loaded
            return
        prose = [k for k in loaded if not _is_field_name(k)] if isinstance(loaded, dict) else []
        if closing is not None and (loaded is None or isinstance(loaded, dict)) and not prose:
            meta = _fields(loaded or {})
            text = text[closing.end():]
        else:  # a thematic break, not front matter: the whole file is the article
            found = "no closing '---' line" if closing is None else (
                "malformed YAML" if isinstance(loaded, Skipped) else
                f"{', '.join(repr(str(k)) for k in prose[:3])} is not a field name" if prose else
                _kind(loaded))
            notes.append(Notice(name, "the '---' on line 1 opens no front matter (what follows is not "
                                      f"a mapping of fields: {found}): read the whole file as text",
                                line=1))
    body = clean_text(text)
    if not body:
        yield Skipped(name, "empty article")
        return
    problems: list[str] = []
    found_meta = _metadata(meta, problems)
    if found_meta["title"] is None and markdown:
        heading = _MD_TITLE.search(body)
        found_meta["title"] = _one_line(_heading_text(heading.group(1))) if heading else None
    yield Article(text=body, path=name, **found_meta)
    yield from notes
    yield from (Notice(name, p) for p in problems)
    unknown = sorted(k for k in meta if k not in KNOWN_FIELDS)
    if unknown:
        yield Notice(name, f"front matter fields not read (ignored): {', '.join(unknown)}")


_FIELD_LINE = re.compile(r"[A-Za-z_][\w-]{0,63}[ \t]*:(?:[ \t]|$)")
_FIELD_NAME = re.compile(r"[A-Za-z_][\w-]{0,63}")


def _is_field_name(key: object) -> bool:
    """Whether a YAML key names a field ('title', 'published_at'), not a phrase ('The council')."""
    return isinstance(key, str) and _FIELD_NAME.fullmatch(key.strip()) is not None


def _looks_like_fields(block: str) -> bool:
    """Whether the text after an opening '---' starts like YAML fields ('name: value')."""
    for line in block.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return _FIELD_LINE.match(stripped) is not None
    return False


def _heading_text(line: str) -> str:
    """An ATX heading's text without its optional closing #s."""
    text = line.rstrip()
    trimmed = text.rstrip("#")
    return trimmed.rstrip() if trimmed != text and trimmed[-1:] in ("", " ", "\t") else text


def _load_yaml(block: str, name: str) -> object:
    """The front matter's YAML, or a Skipped naming the line of the error (file line numbers)."""
    try:
        return yaml.load(block, Loader=_FrontMatterLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        line = mark.line + 2 if mark is not None else 1  # the YAML starts on the file's line 2
        return Skipped(name, f"bad front matter: {problem}", line=line)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # The safe constructors raise these too: huge integers, unhashable keys, deep nesting.
        return Skipped(name, f"bad front matter: {_first_line(exc)}", line=1)
