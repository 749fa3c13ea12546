"""API fuzzing: the accounts to fuzz as, each service's OpenAPI, and one way to send a case.

Schemathesis generates requests from every service's own ``/openapi.json`` (served by the shared
e2e ``stack``) and checks each answer against the document: no 5xx, every status documented, the
body matches the documented schema, the content type is the documented one.

The stack is shared with the other suites, so a case is defused before it is sent (see
:meth:`Fuzzer.defuse`): the fuzzer learns real ids from earlier answers, and would otherwise
deactivate its own account, sign its own session out or give the default tier a limit of one
request a day.

Rate limits: calls straight to auth carry a fresh ``X-Forwarded-For`` (auth trusts its last entry,
as it does behind the gateway), so the fuzzer never eats into the brute-force budget of the other
suites' address. Calls through the gateway leave from their own loopback address (127.0.0.31),
where the gateway writes the real peer address: the fuzzer meets the real limits there, and a 429
is a documented answer like any other.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.config import SchemathesisConfig
    from schemathesis.specs.openapi.schemas import OpenApiSchema

#: Where the gateway fuzz connects from (its own rate-limit buckets at the gateway and in auth).
GATEWAY_SOURCE_ADDRESS = "127.0.0.31"
PASSWORD = "fuzzing is a kind of testing"
TIMEOUT = 10.0
SEED = 20240917
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
#: Operations that sign the caller's session out: each case signs a spare account in afresh.
SIGNS_OUT = frozenset(
    {
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/logout-all",
        "DELETE /api/v1/auth/sessions/{session_id}",
    }
)
#: Operations that delete the caller's account: each case gets a throwaway account.
DELETES_ACCOUNT = frozenset({"DELETE /api/v1/auth/users/me"})
#: Operations that need the admin role.
ADMIN_ONLY = re.compile(r"/(admin/|posts/deleted$|posts/\{post_id\}/restore$)")
#: Vote changes are limited per user (30 a minute): each of these operations votes as its own user.
VOTES_AS_ITS_OWN_USER = frozenset({"PUT /api/v1/votes/{post_id}", "DELETE /api/v1/votes/{post_id}"})
#: What the gateway routes (gateway/traefik/dynamic/routes.yml); everything else is internal.
ROUTED = ("/api/v1/auth", "/api/v1/posts", "/api/v1/media", "/api/v1/votes", "/.well-known/jwks.json")


def fuzz_config(
    *, max_examples: int, base_url: str | None = None, coverage: bool = True, stateful: bool = False
) -> SchemathesisConfig:
    """Bounded and reproducible: a fixed seed, derandomized generation, no example database."""
    from schemathesis.config import SchemathesisConfig

    checks: dict[str, Any] = {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}
    data: dict[str, Any] = {
        "seed": SEED,
        "suppress-health-check": ["all"],
        "generation": {"max-examples": max_examples, "deterministic": True, "database": "none"},
        "checks": checks,
        "phases": {
            "examples": {"enabled": not stateful},
            "coverage": {"enabled": coverage and not stateful},
            "fuzzing": {"enabled": not stateful},
            "stateful": {"enabled": stateful, "max-steps": 6},
        },
        "request-timeout": TIMEOUT,
    }
    if base_url:
        data["base-url"] = base_url
    return SchemathesisConfig.from_dict(data)


def bound_session(source_address: str | None = None) -> requests.Session:
    """A ``requests`` session (schemathesis' transport), optionally leaving from ``source_address``."""
    session = requests.Session()
    if source_address:
        adapter = HTTPAdapter()
        adapter.init_poolmanager(10, 10, source_address=(source_address, 0))
        session.mount("http://", adapter)
    return session


class Accounts:
    """Signs accounts up and in straight at auth, each call from an address of its own."""

    def __init__(self, auth_url: str) -> None:
        self.client = httpx.Client(base_url=auth_url, timeout=TIMEOUT)
        self.throwaway_ids: set[str] = set()
        self._addresses = itertools.count(1)

    def forwarded_for(self) -> dict[str, str]:
        """A client address of its own (IPv6 documentation prefix), so no per-address limit is shared."""
        return {"X-Forwarded-For": f"2001:db8::{next(self._addresses):x}"}

    def register(self, name: str) -> str:
        response = self.client.post(
            "/api/v1/auth/register",
            json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
            headers=self.forwarded_for(),
        )
        assert response.status_code == 201, response.text
        user_id: str = response.json()["id"]
        return user_id

    def bearer(self, name: str) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/auth/login", data={"username": name, "password": PASSWORD}, headers=self.forwarded_for()
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def throwaway(self) -> dict[str, str]:
        name = f"fz_{uuid.uuid4().hex[:12]}"
        self.throwaway_ids.add(self.register(name))
        return self.bearer(name)


def create_superuser(database_url: str, name: str) -> None:
    """The operator's way: ``python -m auth_service.cli create-superuser`` against auth's database."""
    command = ["create-superuser", "--email", f"{name}@example.com", "--username", name]
    env = {"DATABASE_URL": database_url, "SUPERUSER_PASSWORD": PASSWORD, "ENVIRONMENT": "test"}
    result = subprocess.run(
        [sys.executable, "-m", "auth_service.cli", *command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


#: Encoded characters the gateway's entry point refuses (gateway/traefik/traefik.yml).
REFUSED_BEFORE_ROUTING = re.compile(r"%(2f|5c|00)", re.IGNORECASE)


class Fuzzer:
    """Sends a generated case as the right account, defused, and validates the answer."""

    def __init__(self, accounts: Accounts, suffix: str, tiers: set[str]) -> None:
        self.accounts = accounts
        self.user = accounts.bearer(f"fuzzer_{suffix}")
        self.admin = accounts.bearer(f"fuzzadmin_{suffix}")
        self.spare = f"fuzzspare_{suffix}"
        self.existing_tiers = tiers
        self.direct = bound_session()
        self.via_gateway = bound_session(GATEWAY_SOURCE_ADDRESS)
        self.statuses: dict[str, dict[int, int]] = {}
        self._voters: dict[str, dict[str, str]] = {}

    def headers_for(self, case: Case[Any], *, gateway: bool) -> dict[str, str]:
        label, path = case.operation.label, case.operation.path
        if label in DELETES_ACCOUNT:
            headers = self.accounts.throwaway()
        elif label in SIGNS_OUT:
            headers = self.accounts.bearer(self.spare)
        elif ADMIN_ONLY.search(path):
            headers = dict(self.admin)
        elif label in VOTES_AS_ITS_OWN_USER and not gateway:
            if label not in self._voters:
                self._voters[label] = self.accounts.throwaway()
            headers = dict(self._voters[label])
        else:
            headers = dict(self.user)
        if not gateway and path.startswith(("/api/v1/auth", "/.well-known")):
            headers.update(self.accounts.forwarded_for())
        return headers

    def defuse(self, case: Case[Any]) -> None:
        """Admin cases touch only what the fuzzer made: its throwaway accounts and its own tiers,
        and never make a tier the default one (a limit of one request a day for every anonymous
        caller would throttle the other suites)."""
        params = case.path_parameters
        if "user_id" in params and str(params["user_id"]) not in self.accounts.throwaway_ids:
            params["user_id"] = str(uuid.uuid4())
        if "/admin/tiers" in case.operation.path:
            if params.get("name") in self.existing_tiers:
                params["name"] = f"fz-{uuid.uuid4().hex[:8]}"
            if isinstance(case.body, dict) and case.body.get("is_default"):
                case.body["is_default"] = False

    def check(self, case: Case[Any], *, gateway: bool = False) -> None:
        self.defuse(case)
        session = self.via_gateway if gateway else self.direct
        headers = self.headers_for(case, gateway=gateway)
        response = case.call(session=session, headers=headers, timeout=TIMEOUT)
        if gateway and REFUSED_BEFORE_ROUTING.search(urlsplit(str(response.request.url)).path):
            # Traefik refuses an encoded slash, backslash or NUL in the path at its entry point, before
            # any router (gateway/traefik/traefik.yml): an empty 400 no service document describes.
            assert (response.status_code, response.content) == (400, b""), response.request.url
        else:
            case.validate_response(response)
        self.record(case, response.status_code)

    def record(self, case: Case[Any], status: int) -> None:
        seen = self.statuses.setdefault(case.operation.label, {})
        seen[status] = seen.get(status, 0) + 1

    def remove_new_tiers(self) -> None:
        """Delete the tiers the fuzzer made (after moving its throwaway accounts off them), so the
        suites after it find the tiers as they were."""
        client, admin = self.accounts.client, self.admin
        tiers = client.get("/api/v1/auth/admin/tiers", headers=admin).json()
        default = next(tier["name"] for tier in tiers if tier["is_default"])
        assert default in self.existing_tiers, f"the fuzzer made {default!r} the default tier"
        for user_id in self.accounts.throwaway_ids:
            client.put(f"/api/v1/auth/admin/users/{user_id}/tier", json={"tier": default}, headers=admin)
        for tier in tiers:
            if tier["name"] not in self.existing_tiers:
                deleted = client.delete(f"/api/v1/auth/admin/tiers/{tier['name']}", headers=admin)
                assert deleted.status_code == 204, deleted.text

    def report(self) -> str:
        return "\n".join(
            f"  {label}: {dict(sorted(seen.items()))}" for label, seen in sorted(self.statuses.items())
        )


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas read and rename ``node._nodeid``, which pytest 9.2 dropped
    (it has ``nodeid`` only); give them one to read so each operation still reports on its own."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def leaves_tiers_as_found(fuzzer: Fuzzer) -> Iterator[None]:
    yield
    fuzzer.remove_new_tiers()


@pytest.fixture(scope="session")
def fuzzer(stack: Any) -> Iterator[Fuzzer]:
    accounts = Accounts(stack.config.service_url("auth"))
    suffix = uuid.uuid4().hex[:8]
    for role in ("fuzzer", "fuzzspare"):
        accounts.register(f"{role}_{suffix}")
    create_superuser(stack.config.database_url("auth"), f"fuzzadmin_{suffix}")
    admin = accounts.bearer(f"fuzzadmin_{suffix}")
    tiers = accounts.client.get("/api/v1/auth/admin/tiers", headers=admin)
    assert tiers.status_code == 200, tiers.text
    fuzz = Fuzzer(accounts, suffix, {tier["name"] for tier in tiers.json()})
    try:
        yield fuzz
    finally:
        print(f"\nstatus codes seen per operation:\n{fuzz.report()}")
        accounts.client.close()
        fuzz.direct.close()
        fuzz.via_gateway.close()


def _service_schema(stack: Any, service: str, max_examples: int) -> OpenApiSchema:
    import schemathesis

    url = f"{stack.config.service_url(service)}/openapi.json"
    return schemathesis.openapi.from_url(url, config=fuzz_config(max_examples=max_examples), timeout=TIMEOUT)


@pytest.fixture(scope="session")
def auth_schema(stack: Any) -> OpenApiSchema:
    return _service_schema(stack, "auth", 15)


@pytest.fixture(scope="session")
def posts_schema(stack: Any) -> OpenApiSchema:
    return _service_schema(stack, "posts", 20)


@pytest.fixture(scope="session")
def votes_schema(stack: Any) -> OpenApiSchema:
    return _service_schema(stack, "votes", 20)


def _link(method: str, path: str, description: str) -> dict[str, Any]:
    pointer = path.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")
    return {
        "operationRef": f"#/paths/{pointer}/{method}",
        "description": description,
        "parameters": {"post_id": "$response.body#/id"},
    }


def gateway_document(stack: Any) -> dict[str, Any]:
    """The documents the gateway serves (``/api/v1/<service>/openapi.json``, what its docs page
    merges) as one, plus the links that cross a service boundary: a new post can be voted on."""
    merged: dict[str, Any] = {"paths": {}, "components": {}}
    for service in ("auth", "posts", "votes"):
        url = f"{stack.config.gateway_url}/api/v1/{service}/openapi.json"
        document = httpx.get(url, timeout=TIMEOUT).json()
        merged.setdefault("openapi", document["openapi"])
        for path, operations in document["paths"].items():
            assert path.startswith(ROUTED), f"{service} documents {path}, which the gateway does not route"
            assert path not in merged["paths"], f"{path} is documented by two services"
            merged["paths"][path] = operations
        for kind, components in document.get("components", {}).items():
            for name, component in components.items():
                known = merged["components"].setdefault(kind, {}).setdefault(name, component)
                assert known == component, f"two services define {kind} {name} differently"
    merged["info"] = {"title": "social-posts through the gateway", "version": "1.0.0"}
    vote = "/api/v1/votes/{post_id}"
    created = merged["paths"]["/api/v1/posts"]["post"]["responses"]["201"]
    created.setdefault("links", {}).update(
        {
            "Vote": _link("put", vote, "Vote for the new post"),
            "Unvote": _link("delete", vote, "Take the vote back"),
            "DidIVote": _link("get", f"{vote}/me", "Whether I voted for it"),
        }
    )
    return merged


@pytest.fixture(scope="session")
def gateway_openapi(stack: Any) -> dict[str, Any]:
    return gateway_document(stack)


@pytest.fixture(scope="session")
def gateway_schema(stack: Any, gateway_openapi: dict[str, Any]) -> OpenApiSchema:
    """Every routed operation, a few generated cases each (the services were fuzzed in depth)."""
    import schemathesis

    config = fuzz_config(max_examples=3, base_url=stack.config.gateway_url, coverage=False)
    return schemathesis.openapi.from_dict(gateway_openapi, config=config)


@pytest.fixture(scope="session")
def gateway_flows(stack: Any, gateway_openapi: dict[str, Any]) -> OpenApiSchema:
    """Posts and votes only, for the stateful run that follows the links."""
    import schemathesis
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    config = fuzz_config(max_examples=12, base_url=stack.config.gateway_url, stateful=True)
    schema = schemathesis.openapi.from_dict(gateway_openapi, config=config)
    # A new post and what its links lead to: read, replace, change, delete, vote, take back, ask.
    flows = schema.include(path_regex=r"^/api/v1/(posts|posts/\{post_id\}|votes/\{post_id\}(/me)?)$")
    assert isinstance(flows, OpenApiSchema)
    return flows
