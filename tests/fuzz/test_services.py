"""Every operation of auth, posts and votes, fuzzed straight at the service against its own OpenAPI.

Each test runs one subtest per operation: the schema's examples, the coverage phase (boundary and
invalid values of every parameter and body field) and a bounded number of generated cases, all
from a fixed seed. Any 5xx, undocumented status, wrong content type or body that does not match
the documented schema fails the operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from schemathesis import Case

#: One test fuzzes every operation of a service; under load that takes more than the default 120 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
#: A root dev dependency; until it is installed the fuzz suite is skipped (and says so).
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (root dev group)")

auth = schemathesis.pytest.from_fixture("auth_schema")
posts = schemathesis.pytest.from_fixture("posts_schema")
votes = schemathesis.pytest.from_fixture("votes_schema")


@auth.parametrize()
def test_auth_operations(case: Case[Any], fuzzer: Any, leaves_tiers_as_found: None) -> None:
    fuzzer.check(case)


@posts.parametrize()
def test_posts_operations(case: Case[Any], fuzzer: Any) -> None:
    fuzzer.check(case)


@votes.parametrize()
def test_votes_operations(case: Case[Any], fuzzer: Any) -> None:
    fuzzer.check(case)
