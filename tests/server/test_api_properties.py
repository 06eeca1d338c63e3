"""Property-based tests of API v1 with schemathesis, against the app's own OpenAPI document: every
operation, with each role's token, on generated input. No answer is a 5xx, and every answer
(status, content type, headers, body) matches the document.

Deterministic (hypothesis derandomised, no example database) and small (a few examples per
operation), so it runs in seconds; the input still covers empty, odd and out-of-range values."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import api_operations
from server.openapi import build_document
from tests.factories import make_api_token
from tests.server.test_access_matrix import make_world

BASE = "http://testserver/api/v1"
EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def generated_cases() -> list[schemathesis.Case]:
    schema = schemathesis.openapi.from_dict(build_document(api_operations(), "http://testserver"))
    cases: list[schemathesis.Case] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(operation.as_strategy())
        def collect(case: schemathesis.Case) -> None:
            cases.append(case)

        collect()
    return cases


CASES = generated_cases()


@pytest.mark.parametrize("actor", ["coordinator", "clerk", "trainer", "finance"])
async def test_generated_calls_never_fail_and_match_the_document(
    client: httpx.AsyncClient, actor: str
) -> None:
    world = await make_world()
    secret = await make_api_token(world.users[actor])
    # Real objects as well as generated ones: our organisation, booking and invoice.
    known = {
        "code": world.organisation.cbs_code,
        "reference": world.booking.reference,
        "invoiceId": world.invoice.id,
        "requestId": world.request.id,
    }
    failures = []
    for n, case in enumerate(CASES):
        if n % 2 and case.path_parameters:
            case.path_parameters = {
                name: known.get(name, value) for name, value in case.path_parameters.items()
            }
        kwargs = case.as_transport_kwargs(base_url=BASE, headers={"Authorization": f"Bearer {secret}"})
        kwargs.pop("cookies", None)
        response = await client.request(**kwargs)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as error:  # schemathesis' FailureGroup
            failures.append(f"{case.method} {case.path} {response.status_code}: {str(error)[:400]}")
    assert not failures, "\n".join(failures)
