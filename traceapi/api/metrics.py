"""Prometheus metrics of one app: request latency by route template, trace sizes, error codes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SIZE_BUCKETS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)


class ApiMetrics:
    """The app's collectors in their own registry, so several apps (tests) never collide."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "traceapi_request_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.trace_nodes = Histogram(
            "traceapi_trace_result_nodes",
            "Nodes in a trace or impact answer, by operation.",
            ["operation"],
            buckets=_SIZE_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "traceapi_errors",
            "Error answers by error code and interface.",
            ["code", "interface"],
            registry=self.registry,
        )

    def observe_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.request_seconds.labels(method, route, str(status)).observe(seconds)

    def observe_trace(self, *, operation: str, nodes: int) -> None:
        self.trace_nodes.labels(operation).observe(nodes)

    def count_error(self, *, code: str, interface: str) -> None:
        self.errors.labels(code, interface).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
