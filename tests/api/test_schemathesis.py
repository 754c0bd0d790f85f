"""Property-based requests from the OpenAPI document: whatever comes in, no 5xx comes out."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import not_a_server_error

from tests.api.fixtures import auth
from traceapi.api.app import create_app

EXAMPLES_PER_OPERATION = 20


@pytest.mark.slow
def test_no_operation_answers_5xx(api_settings, api_store, keys):
    # Hundreds of requests a second with one key: lift the rates (admission has its own tests).
    unlimited = api_settings.model_copy(update={"rate_per_key": 0, "rate_per_address": 0})
    app = create_app(unlimited, store=api_store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth(keys["admin"])
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert {"/api/v1/lots/{lot_id}", "/api/v1/impact", "/api/v1/lots"} <= paths, paths
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        check()
