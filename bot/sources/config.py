"""sources.toml: the named sources `newsbot sync` keeps in the index, and the fetcher's options.

    [sources.reuters]                     # one table per source
    url = "https://example.com/rss.xml"
    kind = "feed"                         # feed, sitemap, page or folder; detected when omitted
    outlet = "Reuters"                    # overrides the page's site name
    include = ["*/world/*"]               # url patterns (fnmatch); only these items
    exclude = ["*/video/*"]
    every = "30m"                         # refresh interval: s, m, h or d (or seconds)

    [fetch]                               # optional: any field of FetchOptions
    delay_s = 1.0

The file is ./sources.toml, or the one NEWSBOT_SOURCES names.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.sources.fetch import FetchOptions

KINDS = ("feed", "sitemap", "page", "folder")
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day)?s?\s*$", re.I)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Source:
    """One named source: a feed, sitemap, page or folder, with its filters and refresh interval."""

    name: str
    url: str
    kind: str | None = None
    outlet: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    every_s: float | None = None

    def wants(self, url: str) -> bool:
        """Whether an item url passes the include/exclude patterns."""
        if self.include and not any(fnmatch.fnmatchcase(url, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatchcase(url, p) for p in self.exclude)


@dataclass(frozen=True)
class SourcesConfig:
    """What sources.toml says: the sources in file order, and the fetcher's options."""

    sources: tuple[Source, ...] = ()
    fetch: FetchOptions = FetchOptions()
    path: Path | None = None


def sources_path(env: Mapping[str, str] | None = None) -> Path:
    """The sources file: NEWSBOT_SOURCES, else ./sources.toml."""
    env = os.environ if env is None else env
    named = env.get("NEWSBOT_SOURCES", "").strip()
    return Path(named) if named else Path("sources.toml")


def load_sources(path: Path | None = None) -> SourcesConfig:
    """Read sources.toml (an absent default file means no sources); ConfigError naming the file and field."""
    path = path or sources_path()
    if not path.exists():
        if os.environ.get("NEWSBOT_SOURCES", "").strip():
            raise ConfigError(f"NEWSBOT_SOURCES={path}: no such file")
        return SourcesConfig(path=None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - {"sources", "fetch"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; valid: sources, fetch")
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: 'sources' must be tables: [sources.NAME]")
    sources = tuple(parse_source(name, table, path) for name, table in tables.items())
    return SourcesConfig(sources, _fetch_options(data.get("fetch", {}), path), path)


def parse_source(name: str, table: object, path: Path | str = "sources.toml") -> Source:
    """One [sources.NAME] table as a Source; ConfigError naming the file, source and field."""
    where = f"{path}: [sources.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table with url = \"...\"")
    fields = {"url", "kind", "outlet", "include", "exclude", "every"}
    unknown = set(table) - fields
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(fields))}")
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: url is missing")
    kind = table.get("kind")
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"{where}: kind = {kind!r} is unknown; valid: {', '.join(KINDS)}")
    is_http = url.startswith(("http://", "https://"))
    if kind is None and not is_http:
        kind = "folder"
    if (kind == "folder") == is_http:
        want = "a folder path" if kind == "folder" else "an http(s) url"
        raise ConfigError(f"{where}: url {url!r} is not {want}")
    outlet = table.get("outlet")
    if outlet is not None and not isinstance(outlet, str):
        raise ConfigError(f"{where}: outlet must be a string")
    return Source(
        name=name, url=url.strip(), kind=kind, outlet=outlet,
        include=_patterns(table.get("include"), f"{where}: include"),
        exclude=_patterns(table.get("exclude"), f"{where}: exclude"),
        every_s=parse_every(table.get("every"), f"{where}: every"),
    )


def parse_every(value: object, where: str = "every") -> float | None:
    """A refresh interval in seconds from '30m', '2h', '1d', '90s' or a number of seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _EVERY.match(value) if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f"{where} = {value!r} is not an interval such as '30m', '2h', '1d' or 900")
    return float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


def _patterns(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a url pattern or a list of them")


def _fetch_options(table: object, path: Path) -> FetchOptions:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [fetch] must be a table")
    known = {f.name: f for f in dataclasses.fields(FetchOptions)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{path}: [fetch] {key} is unknown; valid: {', '.join(known)}")
        default = getattr(FetchOptions(), key)
        if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, (type(default), int)):
            raise ConfigError(f"{path}: [fetch] {key} = {value!r} must be like {default!r}")
        values[key] = type(default)(value)
    return FetchOptions(**values)
