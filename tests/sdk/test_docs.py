"""The SDK's documentation runs: the examples of docs/sdk.md and README.md as written, and
every doctest of the SDK."""

from __future__ import annotations

import doctest
import importlib
import os
import re
from pathlib import Path

import pytest
from tracegraph.sdk import context

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "sdk.md"
MODULES = ["tracegraph.sdk", "tracegraph.sdk.client", "tracegraph.sdk.aio",
           "tracegraph.sdk.context", "tracegraph.sdk.ops", "tracegraph.sdk.ledger",
           "tracegraph.sdk.thinking"]


def run_python_block(page: Path, section: str) -> None:
    """Run the one ```python block of a section (``## section``) of a page."""
    body = page.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)
    exec(compile(code, str(page), "exec"), {"__name__": "sdk_example"})


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(context, "_default", [])
    return tmp_path


def test_the_docs_example_runs(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_python_block(DOC, "Example")
    printed = capsys.readouterr().out
    assert printed == "['Observation', 'Decision', 'FinalAnswer', 'ToolCall']\n"
    assert os.path.isdir(scratch / "tg-data")


def test_the_readme_example_runs(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_python_block(ROOT / "README.md", "From Python")
    assert capsys.readouterr().out == "True\n"


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "_default", [])
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
