"""OWASP API Security Top 10 (2023), as a checklist run against the stack through its gateway.

- API1 Broken Object Level Authorization: every id-taking route (enumerated from the gateway's
  documents) refuses another user's object, and nothing the intruder tried took effect.
- API2 Broken Authentication: alg none, HS256 keyed with the public key, tampered, expired, wrong
  audience or issuer, a refresh token as access token, a signed-out session; sign-in brute force.
- API3 Broken Object Property Level Authorization: owner, role, tier, vote count, timestamps and
  e-mail verification cannot be set (422, and the stored object is unchanged); nothing secret shown.
- API4 Unrestricted Resource Consumption: body size at the gateway, page sizes, search and field
  lengths, upload size (the service's limit and the gateway's).
- API5 Broken Function Level Authorization: every admin route (from the documents): 401 anonymous,
  403 user, served to an admin.
- API6 Unrestricted Access to Sensitive Business Flows: sign-up, sign-in, password reset mail and
  vote changes run into a 429 with Retry-After.
- API7 Server Side Request Forgery: not applicable, no route fetches a URL a client supplies.
- API8 Security Misconfiguration: security headers, no stack traces in errors, internal endpoints
  404 at the edge, CORS for the configured origins only.
- API9 Improper Inventory Management: every routed path is under /api/v1 or a documented public
  one; no other version or prefix answers.
- API10 Unsafe Consumption of APIs: not applicable at the edge; the one service-to-service call
  (votes asks posts whether a post exists) is internal and time-bounded (votes' own tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import struct
import time
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
Edge = Any  # the conftest's client of the gateway
User = Any
#: The paths the gateway serves besides /api/v1 (AGENTS.md; auth and gateway READMEs).
DOCUMENTED_PUBLIC = (
    "/.well-known/jwks.json",
    "/docs",
    "/redoc",
    "/reset-password",
    "/verify-email",
    "/account-pages",
)


def tiny_png(padding: int = 0) -> bytes:
    """A valid 1x1 PNG (what the upload sniffs), optionally padded to a given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + header
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )
    return png + b"\x00" * padding


def _documented(operations: dict[str, dict[str, Any]], label: str, status: int) -> bool:
    return str(status) in operations[label]["responses"]


# --- API1 ----------------------------------------------------------------------------------------


class Objects:
    """What the owner has: a published post, a draft with an image, a deleted post, a vote, a session."""

    def __init__(self, edge: Edge, owner: User) -> None:
        self.owner = owner
        self.post = edge.post_by(owner)
        self.draft = edge.post_by(owner, published=False)
        upload = edge.post(
            f"/api/v1/posts/{self.draft}/media",
            files={"file": ("me.png", tiny_png(), "image/png")},
            headers=owner.headers,
        )
        assert upload.status_code == 202, upload.text
        self.media = upload.json()["id"]
        self.deleted = edge.post_by(owner)
        assert (
            edge.request("DELETE", f"/api/v1/posts/{self.deleted}", headers=owner.headers).status_code == 204
        )
        assert edge.request("PUT", f"/api/v1/votes/{self.post}", headers=owner.headers).status_code == 201


Attempt = Callable[[Edge, Objects, User], httpx.Response]
POST_BODY = {"title": "taken over", "content": "by someone else", "published": True}

#: For each id-taking route: what an intruder tries on the owner's object.
ATTEMPTS: dict[str, Attempt] = {
    "DELETE /api/v1/auth/sessions/{session_id}": lambda e, o, i: e.request(
        "DELETE", f"/api/v1/auth/sessions/{o.owner.session_id}", headers=i.headers
    ),
    "GET /api/v1/auth/admin/users/{user_id}": lambda e, o, i: e.get(
        f"/api/v1/auth/admin/users/{o.owner.id}", headers=i.headers
    ),
    "PUT /api/v1/auth/admin/users/{user_id}/role": lambda e, o, i: e.request(
        "PUT", f"/api/v1/auth/admin/users/{o.owner.id}/role", json={"role": "user"}, headers=i.headers
    ),
    "PUT /api/v1/auth/admin/users/{user_id}/tier": lambda e, o, i: e.request(
        "PUT", f"/api/v1/auth/admin/users/{o.owner.id}/tier", json={"tier": "free"}, headers=i.headers
    ),
    "POST /api/v1/auth/admin/users/{user_id}/deactivate": lambda e, o, i: e.post(
        f"/api/v1/auth/admin/users/{o.owner.id}/deactivate", headers=i.headers
    ),
    "POST /api/v1/auth/admin/users/{user_id}/reactivate": lambda e, o, i: e.post(
        f"/api/v1/auth/admin/users/{o.owner.id}/reactivate", headers=i.headers
    ),
    "GET /api/v1/auth/admin/tiers/{name}": lambda e, o, i: e.get(
        "/api/v1/auth/admin/tiers/free", headers=i.headers
    ),
    "PATCH /api/v1/auth/admin/tiers/{name}": lambda e, o, i: e.request(
        "PATCH", "/api/v1/auth/admin/tiers/free", json={"description": "mine now"}, headers=i.headers
    ),
    "PUT /api/v1/auth/admin/tiers/{name}/limits": lambda e, o, i: e.request(
        "PUT", "/api/v1/auth/admin/tiers/free/limits", json={"limits": []}, headers=i.headers
    ),
    "DELETE /api/v1/auth/admin/tiers/{name}": lambda e, o, i: e.request(
        "DELETE", "/api/v1/auth/admin/tiers/free", headers=i.headers
    ),
    "GET /api/v1/posts/{post_id}": lambda e, o, i: e.get(f"/api/v1/posts/{o.draft}", headers=i.headers),
    "PUT /api/v1/posts/{post_id}": lambda e, o, i: e.request(
        "PUT", f"/api/v1/posts/{o.post}", json=POST_BODY, headers=i.headers
    ),
    "PATCH /api/v1/posts/{post_id}": lambda e, o, i: e.request(
        "PATCH", f"/api/v1/posts/{o.post}", json={"title": "taken over"}, headers=i.headers
    ),
    "DELETE /api/v1/posts/{post_id}": lambda e, o, i: e.request(
        "DELETE", f"/api/v1/posts/{o.post}", headers=i.headers
    ),
    "POST /api/v1/posts/{post_id}/restore": lambda e, o, i: e.post(
        f"/api/v1/posts/{o.deleted}/restore", headers=i.headers
    ),
    "POST /api/v1/posts/{post_id}/media": lambda e, o, i: e.post(
        f"/api/v1/posts/{o.post}/media", files={"file": ("x.png", tiny_png(), "image/png")}, headers=i.headers
    ),
    "GET /api/v1/posts/{post_id}/media": lambda e, o, i: e.get(
        f"/api/v1/posts/{o.draft}/media", headers=i.headers
    ),
    "GET /api/v1/posts/{post_id}/media/{media_id}": lambda e, o, i: e.get(
        f"/api/v1/posts/{o.draft}/media/{o.media}", headers=i.headers
    ),
    "GET /api/v1/media/{media_id}/{name}": lambda e, o, i: e.get(
        f"/api/v1/media/{o.media}/original.webp", headers=i.headers
    ),
    "PUT /api/v1/votes/{post_id}": lambda e, o, i: e.request(
        "PUT", f"/api/v1/votes/{o.draft}", headers=i.headers
    ),
}
#: Vote routes address the caller's own vote: another user's vote can be neither seen nor taken back.
OWN_VOTE_ONLY = {"DELETE /api/v1/votes/{post_id}", "GET /api/v1/votes/{post_id}/me"}


def test_api1_every_id_taking_route_refuses_another_users_object(
    edge: Edge, routed_operations: dict[str, dict[str, Any]]
) -> None:
    owner, intruder = edge.user(), edge.user()
    objects = Objects(edge, owner)
    id_taking = {label for label in routed_operations if "{" in label}
    assert id_taking == ATTEMPTS.keys() | OWN_VOTE_ONLY, "a new id-taking route needs its API1 check"
    wrongly_served = []
    for label, attempt in sorted(ATTEMPTS.items()):
        response = attempt(edge, objects, intruder)
        if response.status_code not in (403, 404) or not _documented(
            routed_operations, label, response.status_code
        ):
            wrongly_served.append(f"{label}: {response.status_code} {response.text[:100]}")
    assert wrongly_served == []

    # Another user's vote: asking about it or taking it back only ever touches the caller's own.
    asked = edge.get(f"/api/v1/votes/{objects.post}/me", headers=intruder.headers)
    assert asked.json() == {"post_id": objects.post, "voted": False, "changed": False}
    taken_back = edge.request("DELETE", f"/api/v1/votes/{objects.post}", headers=intruder.headers)
    assert taken_back.json()["changed"] is False
    # Nothing the intruder tried took effect.
    mine = edge.get(f"/api/v1/votes/{objects.post}/me", headers=owner.headers)
    assert mine.json()["voted"] is True
    post = edge.get(f"/api/v1/posts/{objects.post}", headers=owner.headers).json()
    assert (post["title"], post["author"]["id"]) == ("mine", owner.id)
    assert edge.get("/api/v1/auth/me", headers=owner.headers).status_code == 200  # session not revoked
    assert (
        edge.get(f"/api/v1/posts/{objects.deleted}", headers=owner.headers).status_code == 404
    )  # not restored


# --- API2 ----------------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_api2_forged_expired_and_revoked_tokens_are_refused_and_sign_in_brute_force_is_stopped(
    edge: Edge, stack: Any
) -> None:
    user = edge.user()
    claims = jwt.decode(user.token, options={"verify_signature": False})
    key_file = sorted(Path(stack.config.keys_dir).glob("*.pem"))[-1]  # the key auth signs with
    private_key, kid = key_file.read_bytes(), key_file.stem
    jwk = next(k for k in edge.get("/.well-known/jwks.json").json()["keys"] if k["kid"] == kid)
    public_pem = jwt.PyJWK(jwk).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    def signed(**changes: Any) -> str:
        return jwt.encode({**claims, **changes}, private_key, algorithm="RS256", headers={"kid": kid})

    def hs256_with_public_key() -> str:  # the classic algorithm confusion
        signing_input = (
            f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64({**claims, 'role': 'admin'})}"
        )
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    now = int(time.time())
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64({**claims, 'role': 'admin'})}.",
        "HS256 keyed with the public key": hs256_with_public_key(),
        "expired": signed(iat=now - 3600, nbf=now - 3600, exp=now - 1800),
        "wrong audience": signed(aud="someone-else"),
        "wrong issuer": signed(iss="https://evil.example"),
        "refresh used as access": signed(typ="refresh"),
        "tampered claims": signed().rsplit(".", 2)[0]
        + "."
        + _b64({**claims, "role": "admin"})
        + "."
        + signed().rsplit(".", 1)[1],
    }
    for why, token in forged.items():
        for method, url in (("GET", "/api/v1/auth/me"), ("POST", "/api/v1/posts")):
            response = edge.request(method, url, json={}, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (why, url, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert edge.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {signed()}"}).status_code == 200

    assert edge.post("/api/v1/auth/logout", headers=user.headers).status_code == 204
    for method, url in (("GET", "/api/v1/auth/me"), ("GET", "/api/v1/votes/me"), ("POST", "/api/v1/posts")):
        assert edge.request(method, url, json={}, headers=user.headers).status_code == 401, url

    victim = edge.register()
    attempts = [edge.login(victim, f"guess number {n}").status_code for n in range(11)]
    assert attempts == [401] * 10 + [429]
    blocked = edge.login(victim)  # even the right password, until the window passes
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


# --- API3 ----------------------------------------------------------------------------------------


def test_api3_clients_cannot_set_owner_role_tier_counts_timestamps_or_verification(edge: Edge) -> None:
    name = f"sec_{uuid.uuid4().hex[:10]}"
    privileged = {"role": "admin", "tier": "gold", "email_verified": True, "id": str(uuid.uuid4())}
    refused = edge.post(
        "/api/v1/auth/register",
        json={
            "email": f"{name}@example.com",
            "username": name,
            "password": "security is a process",
            **privileged,
        },
    )
    assert refused.status_code == 422
    user, other = edge.user(), edge.user()
    for field, value in {**privileged, "created_at": "2000-01-01T00:00:00Z", "is_active": False}.items():
        response = edge.request("PATCH", "/api/v1/auth/users/me", json={field: value}, headers=user.headers)
        assert response.status_code == 422, field
    me = edge.get("/api/v1/auth/me", headers=user.headers).json()
    assert (me["id"], me["role"], me["tier"], me["email_verified"]) == (user.id, "user", "free", False)
    assert not {"password", "password_hash", "is_active"} & me.keys()  # nothing secret or internal shown

    post_fields = {
        "author_id": other.id,
        "author": {"id": other.id, "username": other.name},
        "vote_count": 1000,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "id": str(uuid.uuid4()),
        "deleted_at": "2000-01-01T00:00:00Z",
    }
    post = edge.post_by(user)
    before = edge.get(f"/api/v1/posts/{post}").json()
    for field, value in post_fields.items():
        created = edge.post(
            "/api/v1/posts", json={"title": "t", "content": "c", field: value}, headers=user.headers
        )
        assert created.status_code == 422, field
        for method in ("PATCH", "PUT"):
            body = (
                {field: value}
                if method == "PATCH"
                else {"title": "t", "content": "c", "published": True, field: value}
            )
            changed = edge.request(method, f"/api/v1/posts/{post}", json=body, headers=user.headers)
            assert changed.status_code == 422, (method, field)
    assert edge.get(f"/api/v1/posts/{post}").json() == before
    mine = edge.get("/api/v1/posts", params={"author": user.name, "limit": 100}).json()["items"]
    assert [p["id"] for p in mine] == [post]
    assert all("email" not in p["author"] for p in mine)


# --- API4 ----------------------------------------------------------------------------------------


def test_api4_bodies_pages_searches_fields_and_uploads_are_bounded(edge: Edge) -> None:
    user = edge.user()
    too_big = {"title": "t", "content": "x" * (1024 * 1024)}
    response = edge.post("/api/v1/posts", json=too_big, headers=user.headers)
    assert response.status_code == 413  # the gateway's 1 MiB JSON body limit
    assert response.json()["detail"]

    for url, params in (
        ("/api/v1/posts", {"limit": 101}),
        ("/api/v1/posts", {"size": 101}),
        ("/api/v1/posts", {"page": 1001}),
        ("/api/v1/posts", {"q": "x" * 201}),
        ("/api/v1/posts", {"cursor": "c" * 513}),
        ("/api/v1/votes/me", {"limit": 101}),
    ):
        assert edge.get(url, params=params, headers=user.headers).status_code == 422, params
    assert edge.get("/api/v1/posts", params={"limit": 100, "q": "x" * 200}).status_code == 200

    for field, value in (("title", "t" * 201), ("content", "c" * 20_001)):
        body = {"title": "t", "content": "c", field: value}
        assert edge.post("/api/v1/posts", json=body, headers=user.headers).status_code == 422, field

    post = edge.post_by(user)
    upload = f"/api/v1/posts/{post}/media"
    over_service_limit = tiny_png(padding=10 * 1024 * 1024 - 64 * 1024)
    refused = edge.post(
        upload, files={"file": ("big.png", over_service_limit, "image/png")}, headers=user.headers
    )
    assert refused.status_code == 413  # posts' MEDIA_MAX_BYTES
    over_gateway_limit = tiny_png(padding=10 * 1024 * 1024 + 1)
    refused = edge.post(
        upload, files={"file": ("huge.png", over_gateway_limit, "image/png")}, headers=user.headers
    )
    assert refused.status_code == 413  # posts again: the edge streams uploads (no buffering) to its limit
    assert "larger than the limit" in refused.json()["detail"]


# --- API5 ----------------------------------------------------------------------------------------


def _admin_only(operations: dict[str, dict[str, Any]]) -> list[str]:
    """Operations documented as refusing every caller but an admin."""
    return sorted(
        label
        for label, operation in operations.items()
        if operation["responses"].get("403", {}).get("description") == "Not an admin"
    )


def _fill(label: str) -> tuple[str, str]:
    method, path = label.split(" ", 1)
    path = re.sub(r"\{name\}", "no-such-tier", path)
    return method, re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)


def test_api5_every_admin_route_refuses_anonymous_and_users(
    edge: Edge, admin: User, routed_operations: dict[str, dict[str, Any]]
) -> None:
    admin_only = _admin_only(routed_operations)
    assert {
        "GET /api/v1/auth/admin/users",
        "POST /api/v1/auth/admin/tiers",
        "GET /api/v1/posts/deleted",
        "POST /api/v1/posts/{post_id}/restore",
    } <= set(admin_only)
    assert all("/admin/" in label or "/posts/" in label for label in admin_only)
    user = edge.user()
    served_wrongly = []
    for label in admin_only:
        method, url = _fill(label)
        anonymous = edge.request(method, url, json={})
        as_user = edge.request(method, url, json={}, headers=user.headers)
        as_admin = edge.request(method, url, json={}, headers=admin.headers)
        if (anonymous.status_code, as_user.status_code) != (401, 403) or as_admin.status_code in (401, 403):
            served_wrongly.append(
                f"{label}: {anonymous.status_code}/{as_user.status_code}/{as_admin.status_code}"
            )
    assert served_wrongly == [], "anonymous/user/admin"


# --- API6 ----------------------------------------------------------------------------------------


def _limited(response: httpx.Response) -> bool:
    return response.status_code == 429 and int(response.headers.get("retry-after", "0")) > 0


def test_api6_sign_up_sign_in_password_reset_and_votes_are_rate_limited(edge: Edge) -> None:
    # Sign-up: 20 an hour from one address (taken names count too: no free probing).
    name = edge.register()
    body = {"email": f"{name}@example.com", "username": name, "password": "security is a process"}
    sign_ups = [edge.post("/api/v1/auth/register", json=body) for _ in range(20)]
    assert [r.status_code for r in sign_ups[:19]] == [409] * 19
    assert _limited(sign_ups[19])

    # Sign-in: 30 attempts per 5 minutes from one address, whoever they are for.
    sign_ins = [edge.login(f"nobody_{n}", "wrong password") for n in range(31)]
    assert {r.status_code for r in sign_ins[:30]} == {401}
    assert _limited(sign_ins[30])

    # Password reset mails: 3 an hour per address asked for (the answer never tells if it exists).
    forgot = [
        edge.post("/api/v1/auth/password/forgot", json={"email": f"{name}@example.com"}) for _ in range(4)
    ]
    assert [r.status_code for r in forgot[:3]] == [202] * 3
    assert _limited(forgot[3])


def test_api6_vote_changes_are_rate_limited_per_user(edge: Edge) -> None:
    voter = edge.user()
    post = edge.post_by(voter)
    changes = [
        edge.request("PUT" if n % 2 == 0 else "DELETE", f"/api/v1/votes/{post}", headers=voter.headers)
        for n in range(31)
    ]
    assert {r.status_code for r in changes[:30]} <= {200, 201}
    assert _limited(changes[30])
    assert changes[30].json()["detail"]


# --- API8 ----------------------------------------------------------------------------------------


def test_api8_headers_errors_internal_endpoints_and_cors_are_locked_down(edge: Edge) -> None:
    user = edge.user()
    answers = {
        "a read": edge.get("/api/v1/posts", params={"limit": 1}),
        "a 401": edge.post("/api/v1/posts", json={}),
        "a 404 from a service": edge.get(f"/api/v1/posts/{uuid.uuid4()}"),
        "a 404 from the gateway": edge.get("/nothing-here"),
        "a 405": edge.request("PUT", "/api/v1/posts", json={}, headers=user.headers),
        "a TRACE": edge.request("TRACE", "/api/v1/posts"),
        "a 422": edge.get("/api/v1/posts", params={"limit": "many"}),
        "malformed JSON": edge.post(
            "/api/v1/posts",
            content=b'{"title": ',
            headers={**user.headers, "content-type": "application/json"},
        ),
        "a bad cursor": edge.get("/api/v1/posts", params={"cursor": "%%%"}),
    }
    for what, response in answers.items():
        # The gateway's own 404 too: its catch-all router has the security headers like every router.
        assert response.headers.get("x-content-type-options") == "nosniff", what
        assert response.headers.get("x-frame-options") == "DENY", what
        assert response.headers.get("referrer-policy") == "no-referrer", what
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", what
            members = set(response.json())
            assert members >= {"type", "title", "status", "detail", "instance"}, what
            assert members <= {"type", "title", "status", "detail", "instance", "errors", "retry_after"}, what
            assert not re.search(r"Traceback|File \"|\.py\b|sqlalchemy|asyncpg|Exception", response.text), (
                what
            )
    assert answers["a TRACE"].status_code in (404, 405)

    internal = [
        "/internal/forward-auth",
        "/internal/jobs",
        f"/internal/posts/{uuid.uuid4()}",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.json",
        "/api/v1/worker/openapi.json",
    ]
    for path in internal:
        assert edge.get(path, headers=user.headers).status_code == 404, path

    allowed, evil = "http://localhost:3000", "https://evil.example"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Authorization"}
    ok = edge.request("OPTIONS", "/api/v1/posts", headers={"Origin": allowed, **preflight})
    assert ok.headers.get("access-control-allow-origin") == allowed
    for response in (
        edge.request("OPTIONS", "/api/v1/posts", headers={"Origin": evil, **preflight}),
        edge.get("/api/v1/posts", headers={"Origin": evil}),
    ):
        assert "access-control-allow-origin" not in response.headers
        assert "*" not in response.headers.get("access-control-allow-origin", "")


# --- API9 ----------------------------------------------------------------------------------------


def test_api9_every_routed_path_is_versioned_or_a_documented_public_one(
    edge: Edge, routed_operations: dict[str, dict[str, Any]]
) -> None:
    for label in routed_operations:
        path = label.split(" ", 1)[1]
        assert path.startswith("/api/v1/") or path in DOCUMENTED_PUBLIC, label

    routes = yaml.safe_load((ROOT / "gateway/traefik/dynamic/routes.yml").read_text())["http"]["routers"]
    public = {
        name: router
        for name, router in routes.items()
        if router["entryPoints"] == ["web"] and router["rule"] != "PathPrefix(`/`)"  # the catch-all 404
    }
    assert {"auth", "posts", "votes", "docs"} <= set(public)
    for name, router in public.items():
        for matcher in re.findall(r"Path(?:Prefix|Regexp)?\(`([^`]+)`\)", router["rule"]):
            prefix = matcher.lstrip("^")
            assert prefix.startswith("/api/v1/") or prefix.rstrip("/") in DOCUMENTED_PUBLIC, (name, matcher)

    for path in ("/api/v2/posts", "/api/v0/posts", "/api/posts", "/v1/posts", "/api/v1/worker/jobs"):
        assert edge.get(path).status_code == 404, path
