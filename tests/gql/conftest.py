"""GraphQL test fixtures (see tests/api/fixtures.py)."""

from tests.api.fixtures import _template, api_settings, api_store, client, keys, viewer

__all__ = ["_template", "api_settings", "api_store", "client", "keys", "viewer"]
