"""Settings, read once from the environment and passed down; nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "traceapi.sqlite3"


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
