"""GraphQL ``PageInfo`` of Relay cursor connections."""

from __future__ import annotations

import strawberry


@strawberry.type(name="PageInfo", description="Where a page of a connection sits.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
