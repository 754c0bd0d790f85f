"""Property-based GraphQL queries generated from the schema: no answer is ever an internal error."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis

from tests.api.fixtures import auth
from traceapi.api.app import create_app

EXAMPLES_PER_FIELD = 15


@pytest.mark.slow
def test_generated_queries_never_fail_internally(api_settings, api_store, keys):
    # Hundreds of requests a second with one key: lift the rates (admission has its own tests).
    unlimited = api_settings.model_copy(update={"rate_per_key": 0, "rate_per_address": 0})
    app = create_app(unlimited, store=api_store)
    schema = schemathesis.graphql.from_asgi("/graphql", app)
    headers = auth(keys["admin"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_FIELD,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, response.text
            body = response.json()
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
            assert "INTERNAL" not in codes, (case.body, body)

        check()
