"""The Neo4j backend (Bolt, Cypher): ``Neo4jStore``, on the ``neo4j`` driver (extra ``[neo4j]``)."""

from .store import Neo4jStore

__all__ = ["Neo4jStore"]
