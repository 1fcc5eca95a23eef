"""The installed ``tracegraph`` script and free loopback ports, for tests that run it."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

SCRIPT = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
