"""The mypyc-compiled build (setup.py, pyproject.toml) computes what the Python
sources compute: the same records, sealed bytes and hashes, redaction and ingest, with the
listed modules really compiled. It runs against the tree `scripts/compile` lays out
(build/compiled, or $TRACEGRAPH_COMPILED_TREE); .ci/run builds it, and also runs the schema,
security and OTLP tests on it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREE = Path(os.environ.get("TRACEGRAPH_COMPILED_TREE", ROOT / "build" / "compiled"))
PROBE = Path(__file__).with_name("compiled_probe.py")


def _modules() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        paths = tomllib.load(f)["tool"]["tracegraph"]["compile"]["modules"]
    return ["tracegraph." + p.removesuffix(".py").replace("/", ".") for p in paths]


def _probe(pythonpath: Path | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([sys.executable, str(PROBE), *_modules()], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_compiled_modules_compute_what_the_sources_compute() -> None:
    if not (TREE / "tracegraph").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no compiled tree at {TREE}: .ci/run builds it with scripts/compile")
        pytest.skip(f"no compiled tree at {TREE}: build it with "
                    "`.venv/bin/python scripts/compile`")
    pure, compiled = _probe(None), _probe(TREE)
    assert pure[0] == "compiled []"
    assert compiled[0] == f"compiled {sorted(_modules())}"
    assert compiled[1:] == pure[1:]
    assert pure[-1].startswith("ingest ") and pure[-1].endswith(" 0 True")
