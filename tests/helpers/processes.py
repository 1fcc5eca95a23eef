"""The installed ``tracegraph`` script, free loopback ports and waiting for a started
server, for tests that run it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

SCRIPT = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, proc: subprocess.Popen[Any], *, timeout: float = 60.0,
                       log: Path | None = None) -> None:
    """Return once ``tracegraph serve`` at ``url`` answers /healthz with 200; raise
    RuntimeError (with ``log``'s text, if given) when ``proc`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"tracegraph serve at {url} did not start"
                               + (f": {log.read_text()}" if log is not None else ""))
        time.sleep(0.05)
