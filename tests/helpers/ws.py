"""A minimal graphql-transport-ws client for the subscription tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class Subscriber:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = 0

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe",
                                       "payload": {"query": query,
                                                   "variables": variables or {}}}))
        return op_id

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        """The next message that is not a ping (answered) or pong."""
        while True:
            msg: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if msg["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if msg["type"] != "pong":
                return msg

    async def events(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The payload data of the next ``n`` ``next`` messages."""
        out = []
        while len(out) < n:
            msg = await self.receive(timeout)
            assert msg["type"] == "next", msg
            assert "errors" not in msg["payload"], msg
            out.append(msg["payload"]["data"])
        return out


@asynccontextmanager
async def subscriber(base_url: str, tenant: str | None = None) -> AsyncIterator[Subscriber]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    headers = {"X-Org-Id": tenant} if tenant else {}
    async with connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        yield Subscriber(ws)
