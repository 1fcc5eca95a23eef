"""The ```graphql blocks of a section of a documentation page, for the tests that run them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def graphql_blocks(page: str, section: str, ids: str, prefix: str) -> list[str]:
    """The operations of a section (``## section``) of a page of the repository;
    ``prefix`` replaces the ``ids`` prefix of their ids (which are unique per server) so an
    example can run again on a server that ran it."""
    text = (ROOT / page).read_text()
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", body, flags=re.DOTALL)
    return [b.replace(f'"{ids}-', f'"{prefix}-') for b in blocks]


def example_blocks(prefix: str, section: str = "GraphQL example") -> list[str]:
    """The blocks of a section of docs/graphql.md, whose example ids start with ``demo-``."""
    return graphql_blocks("docs/graphql.md", section, "demo", prefix)
