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


@gateway.parametrize()
def test_every_routed_operation_through_the_gateway(
    case: Case[Any], fuzzer: Any, leaves_tiers_as_found: None
) -> None:
    fuzzer.check(case, gateway=True)


def test_create_read_update_vote_flows_through_the_gateway(gateway_flows: OpenApiSchema, fuzzer: Any) -> None:
    hypothesis = pytest.importorskip("hypothesis")  # comes with schemathesis
    from schemathesis.generation.stateful import run_state_machine_as_test

    created: set[str] = set()  # ids of the posts this run wrote
    followed: list[str] = []  # operations called with one of those ids (that is, through a link)

    class Flows(gateway_flows.as_state_machine()):  # type: ignore[misc]
        def call(self, case: Case[Any], **kwargs: Any) -> Any:
            fuzzer.defuse(case)
            if str(case.path_parameters.get("post_id")) in created:
                followed.append(case.operation.label)
            response = super().call(case, **kwargs)
            fuzzer.record(case, response.status_code)
            if case.operation.label == "POST /api/v1/posts" and response.status_code == 201:
                created.add(response.json()["id"])
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
    # The links were followed: the new posts' ids went on to the post routes and to the vote routes.
    assert {label.split(" ", 1)[1].split("/")[3] for label in followed} == {"posts", "votes"}, followed
