"""The SDK's documentation runs: docs/sdk.md's example as written, and every doctest."""

from __future__ import annotations

import doctest
import importlib
import os
import re
from pathlib import Path

import pytest
from tracegraph.sdk import context

DOC = Path(__file__).parents[2] / "docs" / "sdk.md"
MODULES = ["tracegraph.sdk", "tracegraph.sdk.client", "tracegraph.sdk.aio",
           "tracegraph.sdk.context", "tracegraph.sdk.ops", "tracegraph.sdk.ledger",
           "tracegraph.sdk.thinking"]


def test_the_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    body = DOC.read_text().split("## Example", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(context, "_default", [])
    exec(compile(code, str(DOC), "exec"), {"__name__": "sdk_example"})
    printed = capsys.readouterr().out
    assert printed == "['Observation', 'Decision', 'FinalAnswer', 'ToolCall']\n"
    assert os.path.isdir(tmp_path / "tg-data")


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "_default", [])
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
