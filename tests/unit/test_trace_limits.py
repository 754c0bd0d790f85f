"""Trace limits: the node cap defaults to the configured one, read once per process."""

from __future__ import annotations

from traceapi.services.trace import default_max_nodes, node_cap
from traceapi.settings import Settings


def test_node_cap_defaults_to_the_configured_limit() -> None:
    assert node_cap(7) == 7
    assert node_cap(0) == 0
    assert node_cap(None) == default_max_nodes() == Settings().max_trace_nodes


def test_configured_limit_is_read_once() -> None:
    default_max_nodes.cache_clear()
    first = default_max_nodes()
    assert default_max_nodes.cache_info().misses == 1
    assert default_max_nodes() == first
    assert default_max_nodes.cache_info().hits >= 1
