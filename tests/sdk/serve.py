"""A real ``tracegraph serve`` subprocess with an API key, that tests can stop and restart."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving

__all__ = ["ServeProcess", "create_key", "free_port"]


def create_key(data_dir: Path, tenant: str) -> str:
    """A new API key of ``tenant`` in the server's control database (the operator CLI)."""
    out = subprocess.run([SCRIPT, "keys", "create", "--tenant", tenant, "--data-dir",
                          str(data_dir)], check=True, capture_output=True, text=True)
    return out.stdout.splitlines()[0].strip()


class ServeProcess:
    """``tracegraph serve`` on a fixed port over one data folder."""

    def __init__(self, data_dir: Path, port: int | None = None, *options: str) -> None:
        self.data_dir = data_dir
        self.options = list(options)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        self.proc = subprocess.Popen(
            [SCRIPT, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_serving(self.url, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
