"""Storage: one GraphStore contract, an embedded backend and a Neo4j backend."""

from traceapi.store.base import Direction, GraphStore, Reach, StoreStats

__all__ = ["Direction", "GraphStore", "Reach", "StoreStats"]
