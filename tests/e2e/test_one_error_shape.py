"""One error shape through the gateway, and the HTTP a client may expect of it.

A body sent with the wrong Content-Type is a 415 that says which type the route takes (a form route
sent JSON names its JSON twin); HEAD works wherever GET does; the ``author`` filter takes the id the
posts show as well as the username; CORS lets a browser client send the headers the API documents
and read the ones it must, on the gateway's own errors too. What is not an RFC 9457 problem
(``application/problem+json``) is pinned here as well: requests Traefik refuses before any routing
(plain text, documented).
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
ORIGIN = "http://localhost:5173"  # one of the origins the gateway's cors middleware allows
EXPOSED = {
    "etag",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-min-client-version",
    "location",
    "x-request-id",
    "idempotent-replayed",
}
PROBLEM = "application/problem+json"


# Its own loopback source address: auth's per-address sign-up and sign-in limits are this module's alone.
SOURCE_ADDRESS = "127.0.0.150"


@pytest.fixture
def gateway(stack: Any) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address=SOURCE_ADDRESS)
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=transport) as client:
        yield client


def _user(gateway: httpx.Client) -> tuple[str, dict[str, str]]:
    name = f"shape_{uuid.uuid4().hex[:8]}"
    registered = gateway.post(
        "/api/v1/auth/register", json={"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    token = gateway.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD}).json()
    return name, {"Authorization": f"Bearer {token['access_token']}"}


def _detail(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == PROBLEM, response.text
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["instance"] == response.headers["x-request-id"]
    assert problem["type"].startswith("tag:social-posts,2026:problems/")
    return problem["detail"]


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    """A validation problem's list of errors, each with where it is (its ``detail`` is one line)."""
    assert isinstance(_detail(response), str)
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert all(error["loc"] for error in errors)
    return errors


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_json_sent_with_another_content_type_is_415_naming_json(
    gateway: httpx.Client, content_type: str
) -> None:
    body = '{"email": "x@example.com", "username": "someone", "password": "correct horse battery"}'
    response = gateway.post("/api/v1/auth/register", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 415, response.text
    assert "application/json" in _detail(response)


def test_json_sent_to_the_login_form_is_415_pointing_at_login_json(gateway: httpx.Client) -> None:
    name, _ = _user(gateway)
    response = gateway.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 415, response.text
    assert "/api/v1/auth/login/json" in _detail(response)
    assert gateway.post("/api/v1/auth/login/json", json={"login": name, "password": PASSWORD}).is_success


def test_a_missing_body_is_still_a_validation_error(gateway: httpx.Client) -> None:
    response = gateway.post("/api/v1/auth/register")
    assert response.status_code == 422
    assert _errors(response)[0]["loc"] == ["body"]


def test_head_answers_like_get_without_a_body(gateway: httpx.Client) -> None:
    _, headers = _user(gateway)
    post = {"title": "Head", "content": "on GET routes"}
    created = gateway.post("/api/v1/posts", json=post, headers=headers)
    assert created.status_code == 201, created.text
    for path in ("/api/v1/posts?limit=5", f"/api/v1/posts/{created.json()['id']}", "/.well-known/jwks.json"):
        get = gateway.get(path)
        head = gateway.head(path)
        assert (head.status_code, get.status_code) == (200, 200), (path, head.status_code, head.text)
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        if "etag" in get.headers:
            assert head.headers["etag"] == get.headers["etag"]
    assert gateway.head(f"/api/v1/posts/{uuid.uuid4()}").status_code == 404


def test_the_author_filter_takes_the_id_the_posts_show_or_the_username(gateway: httpx.Client) -> None:
    name, headers = _user(gateway)
    created = gateway.post("/api/v1/posts", json={"title": "Mine", "content": "by id"}, headers=headers)
    assert created.status_code == 201, created.text
    author_id = created.json()["author"]["id"]
    _, other = _user(gateway)
    assert gateway.post("/api/v1/posts", json={"title": "Not mine", "content": "x"}, headers=other).is_success

    by_id = gateway.get("/api/v1/posts", params={"author": author_id})
    by_name = gateway.get("/api/v1/posts", params={"author": name.upper()})
    assert by_id.status_code == 200, by_id.text
    assert [p["id"] for p in by_id.json()["items"]] == [created.json()["id"]]
    assert [p["id"] for p in by_name.json()["items"]] == [created.json()["id"]]
    bad = gateway.get("/api/v1/posts", params={"author": "not a name!"})
    assert bad.status_code == 422
    assert _errors(bad)[0]["loc"][:2] == ["query", "author"]


def test_cors_preflight_allows_the_documented_request_headers(gateway: httpx.Client) -> None:
    asked = (("/api/v1/auth/refresh", "POST"), ("/api/v1/posts", "POST"), ("/api/v1/posts", "HEAD"))
    for path, method in asked:
        preflight = gateway.options(
            path,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization,content-type,x-csrf-token,x-client-version,"
                "x-request-id,if-none-match,if-match,idempotency-key",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert preflight.headers["access-control-allow-credentials"] == "true"
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        documented = {
            "x-csrf-token",
            "x-client-version",
            "authorization",
            "content-type",
            "x-request-id",
            "if-match",
            "idempotency-key",
        }
        assert allowed >= documented
        assert method in preflight.headers["access-control-allow-methods"]


def _exposed(response: httpx.Response) -> set[str]:
    return {h.strip().lower() for h in response.headers.get("access-control-expose-headers", "").split(",")}


def test_cors_headers_are_on_service_answers_and_on_the_gateways_own_errors(gateway: httpx.Client) -> None:
    origin = {"Origin": ORIGIN}
    answers = {
        "service 200": gateway.get("/api/v1/posts?limit=1", headers=origin),
        "service 401": gateway.get("/api/v1/auth/me", headers={**origin, "Authorization": "Bearer nope"}),
        "gateway 404": gateway.get("/no/such/route", headers=origin),
        "gateway 413": gateway.post(
            "/api/v1/auth/register",
            content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
            headers={**origin, "Content-Type": "application/json"},
        ),
    }
    assert answers["gateway 404"].status_code == 404
    assert answers["gateway 413"].status_code == 413
    for what, response in answers.items():
        assert response.headers.get("access-control-allow-origin") == ORIGIN, what
        assert _exposed(response) >= EXPOSED, (what, _exposed(response))
        if what != "service 200":
            assert response.headers["content-type"] == PROBLEM, what
            assert "detail" in response.json(), what


def test_a_disallowed_origin_gets_no_cors_grant(gateway: httpx.Client) -> None:
    evil = "http://evil.example"
    preflight = gateway.options(
        "/api/v1/auth/refresh",
        headers={
            "Origin": evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-csrf-token",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in gateway.get("/api/v1/posts", headers={"Origin": evil}).headers


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_what_traefik_refuses_before_routing_is_its_plain_text_400_as_documented(stack: Any) -> None:
    """The README's one exception to problem details: requests no router ever sees."""
    port = stack.config.gateway_port
    malformed_header = _raw(port, b"GET /api/v1/posts HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
    assert malformed_header.startswith(b"HTTP/1.1 400 ")
    assert b"text/plain" in malformed_header
    encoded_slash = _raw(port, b"GET /api/v1/posts/a%2Fb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert encoded_slash.startswith(b"HTTP/1.1 400 ")
    assert b"application/json" not in encoded_slash


def _get(port: int, target: str) -> tuple[bytes, bytes]:
    """Status line and body of a GET sent as raw bytes (httpx refuses URLs this long itself)."""
    answer = _raw(port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_urls_up_to_64_kib_get_the_one_error_shape_and_longer_ones_the_documented_plain_400(
    stack: Any,
) -> None:
    """The README's limit: a request line up to 64 KiB reaches the service (problems); past it the
    service's HTTP parser refuses it before any application code, in plain text."""
    port = stack.config.gateway_port
    head, body = _get(port, "/api/v1/posts?q=" + "a" * 60_000)
    assert head.startswith(b"HTTP/1.1 422 ")
    assert PROBLEM.encode() in head.lower()
    assert json.loads(body)["errors"][0]["loc"] == ["query", "q"]
    head, body = _get(port, "/api/v1/posts?q=" + "a" * 70_000)
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"text/plain" in head.lower()
    assert body == b"Invalid HTTP request received."
