"""What Traefik itself answers, and what no client can smuggle past it.

The gateway is the real Traefik binary on ``gateway/traefik``. Its own errors (no route, body too
large, flood limit, a service down or slow, auth unreachable) must read like the services' errors:
RFC 9457 problems (``application/problem+json``), the security headers and an ``X-Request-ID``. A
service's own error with the same status must pass through untouched. And no spelling of an identity
header, in the headers or in the trailers, may reach a service.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.edge import EDGE_ERRORS
from common_testing.ports import FreePorts
from deploy.native import traefik

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def gateway(stack: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10) as client:
        yield client


#: Each sign-up from its own loopback address: auth allows 20 sign-ups per address and period, and the
#: other e2e tests sign up from 127.0.0.1 (the security suite uses .50 and up, a test below .201).
_SOURCES = itertools.count(120)


def _user(gateway: httpx.Client) -> dict[str, str]:
    name = f"edgeerr_{uuid.uuid4().hex[:8]}"
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    source = httpx.HTTPTransport(local_address=f"127.0.0.{next(_SOURCES)}")
    with httpx.Client(base_url=str(gateway.base_url), timeout=10, transport=source) as own:
        registered = own.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    tokens = gateway.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return {"id": str(registered.json()["id"]), "name": name, "token": str(tokens.json()["access_token"])}


def _until(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {within:.0f}s")


def assert_edge_error(response: httpx.Response, kind: str) -> None:
    """The gateway's own error page for ``kind``: status, problem body, security headers, request id."""
    page = EDGE_ERRORS[kind]
    where = (response.request.method, response.request.url.path, response.status_code, response.text)
    assert response.status_code == page.status, where
    assert response.headers["content-type"] == "application/problem+json", where
    problem = response.json()
    assert (problem["status"], problem["detail"]) == (page.status, page.detail), where
    assert problem["type"].startswith("tag:social-posts,2026:problems/"), where
    assert problem["title"], where
    assert problem["instance"], where
    if page.retry_after is not None:
        assert problem["retry_after"] == page.retry_after, where
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, where)
    assert len(response.headers.get("X-Request-ID", "")) >= 16, where
    if page.retry_after is not None:
        assert response.headers["Retry-After"] == str(page.retry_after), where


# --- Traefik at start -------------------------------------------------------------------------------------
def test_the_gateway_is_traefik_and_logged_no_warning_or_error_at_start(stack: Any) -> None:
    start_log = stack.gateway_start_log
    lines = [json.loads(line) for line in start_log.splitlines() if line.startswith("{")]
    assert any(line.get("version") == traefik.version() for line in lines), start_log[:2000]
    loud = [line for line in lines if line.get("level") not in ("info", "debug")]
    assert loud == []
    assert httpx.get(f"http://127.0.0.1:{stack.config.gateway_metrics_port}/ping", timeout=5).text == "OK"


def test_the_access_log_is_json_in_the_stack_log_and_metrics_are_on_the_internal_entry_point(
    stack: Any, gateway: httpx.Client
) -> None:
    marker = f"access-{uuid.uuid4().hex}"
    assert (
        gateway.get("/api/v1/posts", params={"limit": 1}, headers={"X-Request-ID": marker}).status_code == 200
    )
    log = Path(stack.config.log_dir) / "gateway.log"

    def logged() -> bool:
        entries = [json.loads(line) for line in log.read_text().splitlines() if marker in line]
        return [(e["RouterName"], e["DownstreamStatus"]) for e in entries] == [("posts@file", 200)]

    _until(logged, 10, "the request is in the gateway's JSON access log")
    metrics = httpx.get(f"http://127.0.0.1:{stack.config.gateway_metrics_port}/metrics", timeout=5).text
    assert (
        'traefik_router_requests_total{code="200",method="GET",protocol="http",router="posts@file"' in metrics
    )
    assert gateway.get("/metrics").status_code == 404  # not on the public entry point


# --- the gateway's own errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/nothing/here", "/api/v2/posts", "/internal/edge-errors/429", "/"])
def test_a_path_no_router_takes_is_a_json_404(gateway: httpx.Client, path: str) -> None:
    assert_edge_error(gateway.get(path), "404")
    assert_edge_error(gateway.post(path, json={}), "404")


def test_a_json_body_over_the_edge_limit_is_a_json_413_before_any_service(gateway: httpx.Client) -> None:
    user = _user(gateway)
    big = b'{"title": "t", "content": "' + b"x" * (1024 * 1024) + b'"}'
    response = gateway.post(
        "/api/v1/posts",
        content=big,
        headers={"Authorization": f"Bearer {user['token']}", "Content-Type": "application/json"},
    )
    assert_edge_error(response, "413")


def test_a_services_own_errors_pass_through_untouched(gateway: httpx.Client) -> None:
    # posts' 404 and 413, and auth's 429, are the services' bodies, not the gateway's pages.
    missing = gateway.get(f"/api/v1/posts/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["detail"] != EDGE_ERRORS["404"].detail
    user = _user(gateway)
    post = gateway.post(
        "/api/v1/posts",
        json={"title": "m", "content": "m"},
        headers={"Authorization": f"Bearer {user['token']}"},
    )
    assert post.status_code == 201, post.text
    image = b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 1024 * 1024)  # past posts' limit and the old edge limit
    upload = gateway.post(
        f"/api/v1/posts/{post.json()['id']}/media",
        files={"file": ("big.png", image, "image/png")},
        headers={"Authorization": f"Bearer {user['token']}"},
    )
    assert upload.status_code == 413, upload.text
    assert "The image is larger than the limit" in upload.json()["detail"]
    # auth's per-account sign-in limit (see the security suite for its exact count).
    source = "127.0.0.201"
    with httpx.Client(
        base_url=str(gateway.base_url), timeout=10, transport=httpx.HTTPTransport(local_address=source)
    ) as client:
        codes = []
        for _ in range(15):
            attempt = client.post(
                "/api/v1/auth/login", data={"username": user["name"], "password": "wrong one"}
            )
            codes.append(attempt.status_code)
            if attempt.status_code == 429:
                break
    assert codes[-1] == 429, codes
    assert attempt.json()["detail"] != EDGE_ERRORS["429"].detail
    assert "Too many sign-in attempts" in attempt.json()["detail"]
    assert int(attempt.headers["Retry-After"]) > 1


def test_a_stopped_service_is_a_json_502_and_the_others_go_on(stack: Any, gateway: httpx.Client) -> None:
    user = _user(gateway)
    headers = {"Authorization": f"Bearer {user['token']}"}
    assert gateway.get("/api/v1/votes/me", headers=headers).status_code == 200
    stack.stop(["votes"])
    try:
        for _ in range(3):
            started = time.monotonic()
            down = gateway.get("/api/v1/votes/me", headers=headers)
            assert time.monotonic() - started < 5  # a bound on hanging, not a performance claim
            assert_edge_error(down, "502")
        assert gateway.get("/api/v1/posts", params={"limit": 1}).status_code == 200
    finally:
        stack.start(["votes"])
        stack.wait_ready(timeout=60)
    _until(lambda: gateway.get("/api/v1/votes/me", headers=headers).status_code == 200, 20, "votes is back")


def test_auth_unreachable_is_a_json_503_on_every_route_and_recovers(
    stack: Any, gateway: httpx.Client
) -> None:
    user = _user(gateway)
    headers = {"Authorization": f"Bearer {user['token']}"}
    stack.stop(["auth"])
    try:
        for method, path, auth in [
            ("GET", "/api/v1/posts", False),
            ("GET", "/api/v1/votes/me", True),
            ("POST", "/api/v1/auth/login", False),
        ]:
            response = gateway.request(method, path, headers=headers if auth else None)
            assert_edge_error(response, "auth-unavailable")
    finally:
        stack.start(["auth"])
        stack.wait_ready(timeout=60)
    _until(lambda: gateway.get("/api/v1/votes/me", headers=headers).status_code == 200, 20, "auth is back")


def _raw_get(stack: Any, path: str) -> tuple[int, bytes]:
    # http.client sends the path exactly as written (httpx would normalise it).
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", stack.config.gateway_port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_encoded_separators_and_nul_are_refused_before_routing(stack: Any) -> None:
    """Traefik's one answer without the error shape: an empty 400, before any router (traefik.yml)."""
    for path in [
        "/api/v1/posts/..%2F..%2Fmetrics",
        "/docs/..%2f..%2finternal/forward-auth",
        "/api/v1/posts/%2e%2e%5c%2e%2e%5cinternal%5cforward-auth",
        "/api/v1/posts/a%00b",
    ]:
        status, body = _raw_get(stack, path)
        assert (status, body) == (400, b""), path


def test_other_encoded_reserved_characters_reach_the_service_and_get_the_error_shape(stack: Any) -> None:
    for path in ["/api/v1/posts/%23x", "/api/v1/posts/%25", "/api/v1/posts/a%3Fb", "/api/v1/posts/a%3Bb"]:
        status, body = _raw_get(stack, path)
        assert status in (404, 422), (path, status, body)
        assert set(json.loads(body)) >= {"type", "title", "status", "detail", "instance"}, (path, body)


# --- a second Traefik on the same table, with tight limits ----------------------------------------------
@pytest.fixture
def tight_gateway(stack: Any, tmp_path: Path, free_port: FreePorts) -> Iterator[str]:
    """The same routing table in another Traefik: 2 requests/s per address, burst 4, 1 s to answer."""
    ports = traefik.Ports(*free_port.several(3))
    static = traefik.write_static(tmp_path / "traefik.yml", ports)
    env = {
        "AUTH_URL": stack.config.service_url("auth"),
        "POSTS_URL": stack.config.service_url("posts"),
        "VOTES_URL": stack.config.service_url("votes"),
        "GATEWAY_RATE_AVERAGE": "2",
        "GATEWAY_RATE_BURST": "4",
        "GATEWAY_RESPONSE_TIMEOUT": "1s",
    }
    with (
        (tmp_path / "traefik.log").open("wb") as log,
        traefik.running(static, ports, env, log=log, ready_timeout=40, routed="/.well-known/jwks.json"),
    ):
        time.sleep(1.5)  # the limiter's bucket refills after the readiness probes
        yield f"http://127.0.0.1:{ports.web}"


def test_over_the_per_address_flood_limit_is_a_json_429_with_retry_after(tight_gateway: str) -> None:
    with httpx.Client(base_url=tight_gateway, timeout=10) as client:
        answers = [client.get("/api/v1/posts", params={"limit": 1}) for _ in range(12)]
    codes = [a.status_code for a in answers]
    assert codes.count(200) >= 4, codes
    assert 429 in codes, codes
    for refused in (a for a in answers if a.status_code == 429):
        assert_edge_error(refused, "429")
    time.sleep(1.2)
    with httpx.Client(base_url=tight_gateway, timeout=10) as client:
        assert client.get("/api/v1/posts", params={"limit": 1}).status_code == 200  # it refills


def test_a_service_slower_than_the_timeout_is_a_json_504(stack: Any, tight_gateway: str) -> None:
    votes = stack.processes["votes"]
    time.sleep(1.5)  # an empty bucket from other tests of this gateway refills
    os.killpg(votes.pid, signal.SIGSTOP)
    try:
        with httpx.Client(base_url=tight_gateway, timeout=10) as client:
            slow = client.get("/api/v1/votes/me")
    finally:
        os.killpg(votes.pid, signal.SIGCONT)
    assert_edge_error(slow, "504")


# --- identity headers in any spelling -------------------------------------------------------------------
IDENTITY = ("X-User-Id", "X-User-Name", "X-User-Role", "X-Session-Id", "X-User-Tier", "X-User-Verified")


def _spellings(name: str) -> list[str]:
    """Every way a client could write ``name`` that some backend reads as ``name``."""
    return [
        name,
        name.lower(),
        name.upper(),
        name.replace("-", "_"),
        name.replace("-", "."),
        name.replace("-", "~"),
    ]


def _raw(port: int, request: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data or not _complete(data):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def test_no_spelling_of_an_identity_header_reaches_a_service(stack: Any, gateway: httpx.Client) -> None:
    victim, mallory = _user(gateway), _user(gateway)
    as_victim = {"X-User-Id": victim["id"], "X-User-Name": victim["name"], "X-User-Role": "admin"}
    as_victim |= {"X-Session-Id": str(uuid.uuid4()), "X-User-Tier": "unlimited", "X-User-Verified": "true"}
    for variant in range(6):
        spoofed = [(_spellings(name)[variant], value) for name, value in as_victim.items()]
        spoofed += [(_spellings("X-User-Id")[variant], victim["id"])]  # and sent twice
        # Without a token: nobody, whatever the headers say.
        assert gateway.get("/api/v1/auth/users/me", headers=spoofed).status_code == 401, spoofed
        assert gateway.get("/api/v1/votes/me", headers=spoofed).status_code == 401, spoofed
        # With Mallory's token: Mallory, whatever the headers say.
        headers = [("Authorization", f"Bearer {mallory['token']}"), *spoofed]
        me = gateway.get("/api/v1/auth/users/me", headers=headers)
        assert (me.status_code, me.json()["id"]) == (200, mallory["id"]), spoofed
        post = gateway.post("/api/v1/posts", json={"title": "s", "content": "s"}, headers=headers)
        assert (post.status_code, post.json()["author"]["id"]) == (201, mallory["id"]), spoofed
        assert gateway.get("/api/v1/auth/admin/users", headers=headers).status_code == 403, spoofed


def test_identity_headers_in_trailers_change_nothing(stack: Any, gateway: httpx.Client) -> None:
    victim, mallory = _user(gateway), _user(gateway)
    body = json.dumps({"title": "trailers", "content": "t"}).encode()
    trailers = "".join(f"{name}: {victim['id'] if name == 'X-User-Id' else 'admin'}\r\n" for name in IDENTITY)
    for token in (None, mallory["token"]):
        request = (
            b"POST /api/v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + (f"Authorization: Bearer {token}\r\n".encode() if token else b"")
            + b"Transfer-Encoding: chunked\r\nTrailer: X-User-Id, X-User-Role\r\nConnection: close\r\n\r\n"
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n"
            + trailers.encode()
            + b"\r\n"
        )
        status, answer = _raw(stack.config.gateway_port, request)
        if token is None:
            assert status == 401, answer
        else:
            assert status == 201, answer
            assert json.loads(answer)["author"]["id"] == mallory["id"]
