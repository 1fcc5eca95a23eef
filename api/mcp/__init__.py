"""The MCP server (``tracegraph mcp``): seed 001's ledger tools and the graph's read tools,
over stdio or streamable HTTP, through the service layer (:mod:`.server`, :mod:`.tools`;
the command in :mod:`.cli` imports the MCP SDK only when it runs)."""
