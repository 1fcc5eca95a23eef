"""What the benchmarks measure with: clocks, percentiles, RSS, disk use, the machine, servers."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0.01..0.99, in whole percents) of ``values``, interpolated
    between the nearest samples (:func:`statistics.quantiles`, inclusive method).

    >>> percentile([10.0, 20.0, 30.0, 40.0], 0.5)
    25.0
    """
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process now (this one by default), from /proc."""
    with open(f"/proc/{pid or 'self'}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes(pid: int | None = None) -> int:
    """Peak resident set size (VmHWM) of a process (this one by default), from /proc.

    Not ``ru_maxrss``: Linux carries a parent's ``ru_maxrss`` over fork and exec.
    """
    with open(f"/proc/{pid or 'self'}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time a process has used (this one by default)."""
    if pid is None:
        return time.process_time()
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def disk_bytes(path: Path) -> int:
    """Bytes of every file under ``path`` (the database, its WAL and shared memory)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def checkpoint(data_dir: Path) -> None:
    """Fold the WAL into the database file (what a restart would find on disk)."""
    db = sqlite3.connect(data_dir / "tracegraph.sqlite3")
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gib: float
    python: str
    sqlite: str
    system: str

    def line(self) -> str:
        return (f"{self.cpu}, {self.cores} cores, {self.ram_gib:.1f} GiB RAM; "
                f"Python {self.python}, SQLite {self.sqlite}; {self.system}")


def machine() -> Machine:
    cpu = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return Machine(cpu, os.cpu_count() or 0, ram, platform.python_version(),
                   sqlite3.sqlite_version, f"{platform.system()} {platform.release()}")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``python -m tracegraph.bench.server`` in a subprocess, until :meth:`stop`."""

    def __init__(self, backend: str, options: dict[str, Any]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "tracegraph.bench.server", "--port", str(self.port),
               "--backend", backend]
        for key, value in options.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"benchmark server exited: {err[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("benchmark server did not start within 60 s")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def scratch_dir(parent: str | None, name: str) -> Path:
    """A fresh empty folder for one store."""
    base = Path(parent) if parent else Path(os.environ.get("TMPDIR", "/tmp"))
    path = base / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
