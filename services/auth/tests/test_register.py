"""Registration: the account rules a client meets, and the event that announces a new account."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from auth_service.settings import AuthSettings
from auth_service.state import state_of
from common.events.schemas import EmailVerificationRequested, UserRegistered

PASSWORD = "correct horse battery"


async def _register(client: httpx.AsyncClient, ip: str = "10.1.1.1", **body: object) -> httpx.Response:
    return await client.post("/api/v1/auth/register", json=body, headers={"X-Forwarded-For": ip})


async def test_register_returns_the_profile_and_asks_for_a_sealed_verification_mail(client, api):
    response = await _register(client, email="Alice@Example.com", username="alice", password=PASSWORD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "alice"
    assert body["role"] == "user"
    assert body["tier"] == "free"
    assert body["email_verified"] is False
    assert "password" not in response.text
    assert "password_hash" not in body
    [event] = await api.events(UserRegistered.TYPE)
    assert event["user_id"] == body["id"]
    assert event["username"] == "alice"
    assert event["verification_token"] is None  # posts reads this event too: no token in it
    [mail] = await api.mailed(EmailVerificationRequested.TYPE)
    assert (mail["user_id"], mail["email"]) == (body["id"], body["email"])
    assert len(mail["token"]) >= 32
    async with state_of(api.app).db.session() as session:
        outbox = (
            await session.execute(text("SELECT envelope::text, (envelope->>'version')::int FROM outbox"))
        ).all()
    assert all(mail["token"] not in envelope for envelope, _ in outbox)  # sealed for the worker alone
    assert {version for _, version in outbox} == {2}


@pytest.mark.parametrize(
    ("email", "username", "detail"),
    [
        ("ALICE@example.com", "someone", "e-mail already exists"),
        ("other@example.com", "ALICE", "username is taken"),
    ],
)
async def test_duplicates_are_refused_ignoring_case(client, email, username, detail):
    first = await _register(client, email="alice@example.com", username="alice", password=PASSWORD)
    assert first.status_code == 201
    again = await _register(client, email=email, username=username, password=PASSWORD)
    assert again.status_code == 409
    assert detail in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"username": "bob", "password": PASSWORD}, "email", "Field required"),
        ({"email": "not-an-email", "username": "bob", "password": PASSWORD}, "email", "valid email"),
        ({"email": "b@example.com", "username": "b", "password": PASSWORD}, "username", "at least 3"),
        ({"email": "b@example.com", "username": "bob smith", "password": PASSWORD}, "username", "pattern"),
        ({"email": "b@example.com", "username": "x" * 33, "password": PASSWORD}, "username", "at most 32"),
        ({"email": "b@example.com", "username": "bob", "password": "short"}, "password", "at least 10"),
        ({"email": "b@example.com", "username": "bob", "password": "p" * 129}, "password", "at most 128"),
        (
            {"email": "b@example.com", "username": "bob", "password": PASSWORD, "role": "admin"},
            "role",
            "Extra",
        ),
    ],
)
async def test_bad_input_gets_a_422_naming_the_field(client, body, field, message):
    response = await _register(client, **body)
    assert response.status_code == 422
    assert field in response.json()["detail"]  # the human line names the first problem
    errors = response.json()["errors"]
    assert any(e["loc"][-1] == field and message in e["msg"] for e in errors), errors


@pytest.mark.parametrize("password", ["bob_the_builder", "BOB_THE_BUILDER", "bob_the_builder@example.com"])
async def test_password_may_not_be_the_username_or_email(client, password):
    response = await _register(
        client, email="bob_the_builder@example.com", username="bob_the_builder", password=password
    )
    assert response.status_code == 422
    assert "must not be your e-mail or username" in response.text


async def test_a_body_that_is_not_json_is_a_422(client):
    response = await client.post(
        "/api/v1/auth/register", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


async def test_registration_is_rate_limited_per_address(client, settings):
    for i in range(settings.register_ip_limit):
        ok = await _register(
            client, "10.9.9.9", email=f"r{i}@example.com", username=f"r{i}_user", password=PASSWORD
        )
        assert ok.status_code == 201
    refused = await _register(
        client, "10.9.9.9", email="late@example.com", username="late", password=PASSWORD
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many sign-ups" in refused.json()["detail"]
    elsewhere = await _register(
        client, "10.9.9.10", email="late@example.com", username="late", password=PASSWORD
    )
    assert elsewhere.status_code == 201


def test_outside_development_the_default_mail_token_key_is_refused(settings):
    with pytest.raises(ValueError, match="mail_token_key"):
        AuthSettings(
            **{**settings.model_dump(), "environment": "staging", "amqp_url": "amqp://a:b@127.0.0.1:5672/"}
        )


async def test_a_retried_sign_up_with_its_idempotency_key_creates_one_account(client, api):
    key = {"Idempotency-Key": "3b1f2c9e-signup-retry", "X-Forwarded-For": "10.7.7.7"}
    body = {"email": "retry@example.com", "username": "retrier", "password": PASSWORD}
    first = await client.post("/api/v1/auth/register", json=body, headers=key)
    again = await client.post("/api/v1/auth/register", json=body, headers=key)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await api.events(UserRegistered.TYPE)) == 1
    # The same key with another password is another request: refused, not replayed.
    other = await client.post("/api/v1/auth/register", json={**body, "password": PASSWORD + "!"}, headers=key)
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    # Without the key the same body is a new attempt, and meets the taken e-mail address.
    taken = await client.post("/api/v1/auth/register", json=body, headers={"X-Forwarded-For": "10.7.7.7"})
    assert taken.status_code == 409
    async with state_of(api.app).db.session() as session:
        stored = (await session.execute(text("SELECT fingerprint, body FROM idempotency_keys"))).all()
    assert len(stored) == 1
    assert PASSWORD.encode() not in bytes(stored[0].body)
    assert len(stored[0].fingerprint) == 64  # an HMAC: nothing that tests a password offline


async def test_a_malformed_sign_up_idempotency_key_is_a_400(client):
    body = {"email": "badkey@example.com", "username": "badkey", "password": PASSWORD}
    refused = await client.post("/api/v1/auth/register", json=body, headers={"Idempotency-Key": "a b"})
    assert refused.status_code == 400
    assert refused.json()["type"] == "tag:social-posts,2026:problems/bad-idempotency-key"
