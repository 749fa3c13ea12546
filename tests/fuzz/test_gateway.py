"""The same documents, fuzzed through the gateway: once operation by operation, once as flows.

The gateway's document is the union of the services' documents plus the links that cross a
service boundary (see ``gateway_document``). The stateful run follows the links from
``POST /api/v1/posts``: read the new post, replace or change it, delete it, vote for it, take
the vote back, ask whether I voted. Everything runs as a signed-in user
from the gateway fuzz's own address, from a fixed seed, with bounded scenarios and steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

#: One test fuzzes every operation of a service; under load that takes more than the default 120 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
#: A root dev dependency; until it is installed the fuzz suite is skipped (and says so).
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (root dev group)")

gateway = schemathesis.pytest.from_fixture("gateway_schema")
POST_ROUTES = tuple(f"{method} /api/v1/posts/{{post_id}}" for method in ("GET", "PUT", "PATCH", "DELETE"))


@gateway.parametrize()
def test_every_routed_operation_through_the_gateway(case: Case[Any], fuzzer: Any) -> None:
    fuzzer.check(case, gateway=True)


def test_create_read_update_vote_flows_through_the_gateway(gateway_flows: OpenApiSchema, fuzzer: Any) -> None:
    import hypothesis
    from schemathesis.generation.stateful import run_state_machine_as_test

    steps: list[tuple[str, int]] = []

    class Flows(gateway_flows.as_state_machine()):  # type: ignore[misc]
        def call(self, case: Case[Any], **kwargs: Any) -> Any:
            fuzzer.defuse(case)
            response = super().call(case, **kwargs)
            fuzzer.record(case, response.status_code)
            steps.append((case.operation.label, response.status_code))
            return response

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {
                "session": fuzzer.via_gateway,
                "headers": fuzzer.headers_for(case, gateway=True),
                "timeout": 10,
            }

    settings = hypothesis.settings(
        max_examples=12,
        stateful_step_count=6,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    run_state_machine_as_test(Flows, settings=settings)
    # The links were followed: a {post_id} route only succeeds with the id of a post that exists.
    post_steps = [label for label, status in steps if label.startswith(POST_ROUTES) and status < 300]
    votes = [
        label for label, status in steps if label == "PUT /api/v1/votes/{post_id}" and status in (200, 201)
    ]
    assert post_steps, steps
    assert votes, steps
