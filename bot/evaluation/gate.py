"""Floors from thresholds.toml checked against a report: the CI regression gate."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

SECTIONS = ("answer", "retrieval", "citations", "abstention", "extra", "temporal")
TEMPORAL = "temporal"  # floors of this table are checked on the temporal set's report, not the seed set's


@dataclass(frozen=True)
class Check:
    """One floor: the metric, its measured value, the floor and whether it passed."""

    metric: str
    value: float | None
    floor: float

    @property
    def passed(self) -> bool:
        """A missing value fails: a floor that cannot be measured guards nothing."""
        return self.value is not None and self.value >= self.floor - 1e-9


def load_thresholds(path: Path) -> dict[str, float]:
    """Floors by dotted metric name (`answer.contains`) from a TOML file of tables per section."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: thresholds file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    floors: dict[str, float] = {}
    for section, table in data.items():
        if section not in SECTIONS or not isinstance(table, dict):
            raise ConfigError(f"{path}: unknown table [{section}]; valid: {', '.join(SECTIONS)}")
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ConfigError(f"{path}: {section}.{key} = {value!r} must be a number from 0 to 1")
            floors[f"{section}.{key}"] = float(value)
    if not floors:
        raise ConfigError(f"{path}: no floors defined")
    return floors


def split_floors(floors: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(the seed set's floors, the temporal set's floors)."""
    seed = {k: v for k, v in floors.items() if not k.startswith(f"{TEMPORAL}.")}
    return seed, {k: v for k, v in floors.items() if k.startswith(f"{TEMPORAL}.")}


def check(report: Mapping[str, Any], floors: Mapping[str, float]) -> list[Check]:
    """Measure every floor against the report; unknown metric names raise ConfigError."""
    checks = []
    for name, floor in floors.items():
        section, key = name.split(".", 1)
        table = report.get(section)
        if not isinstance(table, Mapping) or key not in table:
            raise ConfigError(f"thresholds name {name}, which report.json does not have")
        value = table[key]
        checks.append(Check(name, None if value is None else float(value), floor))
    return checks


def format_checks(checks: list[Check]) -> str:
    """One line per floor."""
    width = max(len(c.metric) for c in checks)
    lines = []
    for c in checks:
        value = "missing" if c.value is None else f"{c.value:.3f}"
        lines.append(f"{'ok  ' if c.passed else 'FAIL'} {c.metric:<{width}}  {value:>7}  floor {c.floor:.3f}")
    failed = sum(not c.passed for c in checks)
    lines.append(f"gate: {len(checks) - failed}/{len(checks)} floors met" + ("" if not failed else " - FAILED"))
    return "\n".join(lines)
