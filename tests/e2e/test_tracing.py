"""One create-post request through the gateway, and its event, as one trace (OpenTelemetry).

The stack exports to the suite's OTLP/HTTP receiver (``otlp_receiver``, tests/conftest.py, an
``common_testing.otlp_receiver.OtlpReceiver``). Spans of
the request: Traefik's edge span, auth's forwardAuth check, posts' request and its SQL, the relay's
publish; then votes' consumer span, a trace of its own that links to that publish.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5


def _wait(check: Callable[[], Any], within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("the spans did not arrive in time")


def test_a_created_post_is_one_trace_from_the_gateway_to_the_relay_linked_to_its_consumer(
    stack: Any, otlp_receiver: Any
) -> None:
    name = f"trace_{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    password = "tracing horse battery staple"
    source = httpx.HTTPTransport(local_address="127.0.0.231")
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=source) as gateway:
        registered = gateway.post(
            "/api/v1/auth/register", json={"email": email, "username": name, "password": password}
        )
        assert registered.status_code == 201, registered.text
        login = gateway.post("/api/v1/auth/login", data={"username": name, "password": password})
        assert login.status_code == 200, login.text
        tokens = login.json()
        created = gateway.post(
            "/api/v1/posts",
            json={"title": "Traced", "content": "one trace"},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert created.status_code == 201, created.text
        post_id = created.json()["id"]

    def request_span() -> dict[str, Any] | None:
        return next(
            (
                s
                for s in otlp_receiver.received()
                if s["service"] == "posts" and s["kind"] == SERVER and s["name"] == "POST /api/v1/posts"
            ),
            None,
        )

    posts_request = _wait(request_span)
    trace_id = posts_request["trace_id"]

    def publish_span() -> dict[str, Any] | None:
        return next(
            (
                s
                for s in otlp_receiver.received()
                if s["trace_id"] == trace_id
                and s["kind"] == PRODUCER
                and s["attributes"].get("messaging.rabbitmq.destination.routing_key") == "posts.post.created"
            ),
            None,
        )

    publish = _wait(publish_span)
    assert publish["service"] == "posts"
    assert publish["attributes"]["messaging.system"] == "rabbitmq"
    assert publish["attributes"]["messaging.operation.type"] == "send"
    assert publish["attributes"]["messaging.destination.name"] == "e2e.events"

    def consumer_span() -> dict[str, Any] | None:
        return next(
            (
                s
                for s in otlp_receiver.received()
                if s["service"] == "votes"
                and s["kind"] == CONSUMER
                and (publish["trace_id"], publish["span_id"]) in s["links"]
            ),
            None,
        )

    consume = _wait(consumer_span)
    assert consume["attributes"]["messaging.system"] == "rabbitmq"
    assert consume["attributes"]["messaging.operation.type"] == "process"
    assert consume["attributes"]["messaging.consumer.group.name"] == "e2e.votes.events"
    # votes' database work for the event is the consumer span's children
    _wait(
        lambda: [
            s
            for s in otlp_receiver.received()
            if s["service"] == "votes" and s["kind"] == CLIENT and s["parent_span_id"] == consume["span_id"]
        ]
    )

    def whole_trace() -> list[dict[str, Any]] | None:
        spans = [s for s in otlp_receiver.received() if s["trace_id"] == trace_id]
        services = {s["service"] for s in spans}
        return spans if {"gateway", "auth", "posts"} <= services else None

    spans = _wait(whole_trace)
    by_id = {s["span_id"]: s for s in spans}
    # Traefik's edge span is the root; posts' request span descends from it.
    roots = [s for s in spans if not s["parent_span_id"]]
    assert [r["service"] for r in roots] == ["gateway"]
    ancestor = by_id.get(posts_request["parent_span_id"])
    while ancestor is not None and ancestor["service"] != "gateway":
        ancestor = by_id.get(ancestor["parent_span_id"])
    assert ancestor is not None
    # auth's forwardAuth check, named by its route, in the same trace
    assert any(s["service"] == "auth" and s["name"] == "GET /internal/forward-auth" for s in spans)
    # posts' SQL: client spans under the request, statements without their values (a create is one
    # statement, the post's INSERT inside a WITH, so the span is found by its statement, not its name)
    sql = [
        s
        for s in spans
        if s["service"] == "posts"
        and s["kind"] == CLIENT
        and "INSERT INTO posts" in json.dumps(s["attributes"])
    ]
    assert sql
    assert all("Traced" not in json.dumps(s["attributes"]) for s in sql)
    # the resource names the service, its version and the environment
    assert posts_request["resource"]["deployment.environment"] == "test"
    assert posts_request["resource"]["service.version"]
    assert posts_request["attributes"]["http.route"] == "/api/v1/posts"
    assert post_id not in posts_request["name"]

    # Nothing any process exported holds a token, the password or the e-mail address.
    everything = json.dumps(otlp_receiver.received())
    for secret in (tokens["access_token"], tokens["refresh_token"], password, email, "Bearer "):
        assert secret not in everything
