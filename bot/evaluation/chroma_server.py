"""A `chroma run` server on 127.0.0.1 for as long as a `with` block: the benchmark's server phase and the tests use it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bot.errors import StoreError


@contextlib.contextmanager
def chroma_server(path: Path, log_file: Path) -> Iterator[tuple[str, int]]:
    """A `chroma run` server on 127.0.0.1 and a free port, stopped on exit (the bench and the tests use it)."""
    exe = Path(sys.executable).with_name("chroma")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    path.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen([str(exe if exe.exists() else "chroma"), "run", "--path", str(path),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log,
                                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise StoreError(f"`chroma run` did not start within 60 s; see {log_file}") from None
                time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
