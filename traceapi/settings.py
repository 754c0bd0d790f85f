"""Settings, read once from the environment and passed down; nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Access = Literal["open", "key", "off"]
"""Who may read a page: anyone, any holder of a valid key, or no one (the route is absent)."""


class Settings(BaseSettings):
    """Every knob traceapi has: env prefix ``TRACEAPI_``; Neo4j takes the usual ``NEO4J_*``."""

    model_config = SettingsConfigDict(env_prefix="TRACEAPI_", extra="ignore", populate_by_name=True)

    backend: Literal["embedded", "neo4j"] = "embedded"
    data_dir: Path = Path("./data")

    neo4j_uri: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER"))
    neo4j_password: str | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_PASSWORD")
    )
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE"))

    # Traces
    max_trace_nodes: int = 2_000_000
    """Node cap for one trace; beyond it a trace answers LimitExceeded instead of running on."""

    # Service
    host: str = "127.0.0.1"
    port: int = 8000
    profile: Literal["dev", "production"] = "dev"
    """``production`` turns off GraphQL introspection and GraphiQL."""
    log_level: str = "INFO"

    # Abuse limits
    max_body_bytes: int = 1_000_000
    max_page_size: int = 500
    max_impact_seeds: int = 1_000
    gql_max_depth: int = 12
    gql_max_aliases: int = 30
    gql_max_tokens: int = 2_000
    gql_max_cost: int = 20_000
    """Estimated objects one GraphQL answer may hold (see ``traceapi.gql.guard``)."""
    gql_deadline_seconds: float = 10.0
    """A GraphQL operation still running after this long is stopped and answers LIMIT_EXCEEDED."""
    worker_threads: int = 16
    """Threads that run blocking work (store reads, traces); each keeps one read connection."""
    max_in_flight: int = 32
    """Requests served at once; beyond it 503 with Retry-After (0: no bound)."""
    rate_per_address: float = 200.0
    """Requests a second from one client address, bursts up to twice that; beyond it 429."""
    rate_per_key: float = 100.0
    """Requests a second with one API key, bursts up to twice that; beyond it 429."""
    failed_keys_per_minute: int = 20
    """Keys that did not work from one address in a minute before it is answered 429."""
    docs_access: Access | None = None
    """``/openapi.json``, ``/docs``, ``/redoc``; unset: open in dev, ``key`` in production."""
    metrics_access: Access | None = None
    """``/metrics``; unset: open in dev, ``key`` in production."""

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "traceapi.sqlite3"


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
