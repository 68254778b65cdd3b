"""The Dockerfile cannot be built here (no Docker engine): check it installs what the README does."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_installs_the_pinned_requirements_like_the_makefile() -> None:
    runs = [rest for op, rest in _instructions() if op == "RUN"]
    install = [r for r in runs if "pip install" in r]
    assert install, "the Dockerfile installs nothing"
    assert any("-c constraints.txt" in r and re.search(r"pip install .* \.$", r) for r in install)
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt -e ." in makefile
    copies = " ".join(rest for op, rest in _instructions() if op == "COPY")
    for needed in ("pyproject.toml", "constraints.txt", "bot", "corpus"):
        assert needed in copies


def test_constraints_pin_every_direct_dependency_to_the_same_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = dict(
        line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line
    )
    pins = {k.lower().replace("_", "-"): v for k, v in pins.items()}
    for dep in project["dependencies"]:
        name, version = dep.split("==")
        assert pins.get(name.lower().replace("_", "-")) == version, f"{dep} differs from constraints.txt"
    assert pins["torch"] == "2.13.0"


def test_bakes_the_model_runs_as_non_root_and_starts_slack() -> None:
    instructions = _instructions()
    runs = " ".join(rest for op, rest in instructions if op == "RUN")
    assert "MiniLMEmbedder().warm_up()" in runs
    users = [rest for op, rest in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    cmd = [rest for op, rest in instructions if op == "CMD"][-1]
    assert "newsbot slack --http" in " ".join(json.loads(cmd))
    assert instructions[0][0] == "FROM"
