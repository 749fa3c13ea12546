"""E-mail jobs: what lands in a mailbox, and what happens when the mail server says no."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from common.events.schemas import (
    EmailVerificationRequested,
    PasswordResetRequested,
    TokenSeal,
    UserRegistered,
)
from worker_service.state import state_of

#: What the worker itself published (a failed mail publishes nothing: no service would act on it).
WORKER_EVENTS = "SELECT type FROM outbox WHERE envelope->>'producer' = 'worker'"


def _reset(email: str, token: str = "tok/en+with=odd&chars") -> PasswordResetRequested:
    return PasswordResetRequested(
        user_id=uuid.uuid4(),
        email=email,
        username="alice",
        token=token,
        expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
    )


async def test_a_password_reset_mail_carries_the_token_from_the_event(
    client, emit, sink, job_for, sql
) -> None:
    token = "tok/en+with=odd&chars"
    event_id = await emit(_reset("alice@example.com", token))

    job = await job_for(event_id, "succeeded")
    (mail,) = sink.to("alice@example.com")  # the job succeeds only once the server took the mail
    assert mail["Subject"] == "Reset your password"
    assert mail["From"] == "no-reply@social-posts.local"
    assert mail["Message-ID"] == f"<{job['id']}@social-posts.local>"
    body = mail.get_content()
    assert f"https://social.test/reset-password?token={quote(token, safe='')}" in body
    assert "Hello alice" in body
    assert "2030-01-02 03:04 UTC" in body
    assert job["type"] == "email.password_reset"
    assert job["attempts"] == 1
    # The one-time token does not outlive its e-mail in the jobs table.
    stored = (await sql("SELECT payload FROM jobs WHERE id = :i", i=job["id"]))[0]["payload"]
    assert stored["token"] == "[redacted]"


async def test_a_sealed_token_is_opened_for_the_link_and_never_stored_open(
    app, client, emit, sink, job_for, sql
) -> None:
    """Version 2: auth seals the token for the worker (``MAIL_TOKEN_KEY``); only the mail holds it."""
    token = "sealed-tok/en"
    seal = TokenSeal(state_of(app).settings.mail_token_key.get_secret_value())
    event = PasswordResetRequested(
        user_id=uuid.uuid4(),
        email="sealed@example.com",
        username="sealed",
        sealed_token=seal.seal(token),
        expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
    )
    job = await job_for(await emit(event), "succeeded")
    (mail,) = sink.to("sealed@example.com")
    assert f"reset-password?token={quote(token, safe='')}" in mail.get_content()
    stored = (await sql("SELECT payload::text AS p FROM jobs WHERE id = :i", i=job["id"]))[0]["p"]
    assert token not in stored
    assert event.sealed_token is not None
    assert event.sealed_token not in stored  # not even sealed, once sent


async def test_a_token_sealed_with_another_key_fails_the_job_without_sending(
    client, emit, sink, job_for
) -> None:
    event = PasswordResetRequested(
        user_id=uuid.uuid4(),
        email="forged@example.com",
        username="forged",
        sealed_token=TokenSeal("some other key").seal("nope"),
        expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
    )
    await job_for(await emit(event), "failed")
    assert sink.to("forged@example.com") == []


async def test_verification_and_welcome_mails(client, emit, sink, job_for) -> None:
    verify = await emit(
        EmailVerificationRequested(
            user_id=uuid.uuid4(),
            email="bob@example.com",
            username="bob",
            token="v-123",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    welcome = await emit(
        UserRegistered(
            user_id=uuid.uuid4(),
            username="carol",
            email="carol@example.com",
            verification_token="w-456",
            updated_at=datetime.now(UTC),
        )
    )
    await job_for(verify, "succeeded")
    await job_for(welcome, "succeeded")
    (verification,) = sink.to("bob@example.com")
    assert verification["Subject"] == "Confirm your e-mail address"
    assert "https://social.test/verify-email?token=v-123" in verification.get_content()
    (greeting,) = sink.to("carol@example.com")
    assert greeting["Subject"] == "Welcome to Social Posts"
    assert "Welcome, carol!" in greeting.get_content()
    assert "https://social.test/verify-email?token=w-456" in greeting.get_content()


async def test_a_deferring_mail_server_is_retried_then_the_job_fails_and_can_be_retried(
    client, emit, sink, job_for, sql, tokens
) -> None:
    sink.defer.add("dave@example.com")
    event = _reset("dave@example.com")
    event_id = await emit(event)

    failed = await job_for(event_id, "failed")
    assert failed["attempts"] == 3
    assert "deferred" in failed["last_error"]
    assert "451" in failed["last_error"]
    assert sink.to("dave@example.com") == []
    assert await sql(WORKER_EVENTS) == []  # the failed job is the record; no event nobody consumes

    _, admin = tokens.user(role="admin")
    listed = await client.get(
        "/internal/jobs", params={"status": "failed", "type": "email.password_reset"}, headers=admin
    )
    assert [j["id"] for j in listed.json()["items"]] == [str(failed["id"])]

    sink.defer.clear()
    retried = await client.post(f"/internal/jobs/{failed['id']}/retry", headers=admin)
    assert retried.status_code == 200
    assert retried.json()["status"] in ("pending", "running", "succeeded")
    done = await job_for(event_id, "succeeded")
    assert done["attempts"] == 1
    assert len(sink.to("dave@example.com")) == 1


async def test_a_refused_recipient_fails_at_once(client, emit, sink, job_for, sql) -> None:
    sink.refuse.add("nobody@example.com")
    event_id = await emit(_reset("nobody@example.com"))
    failed = await job_for(event_id, "failed")
    assert failed["attempts"] == 1
    assert "refused the recipient (550)" in failed["last_error"]
    assert await sql(WORKER_EVENTS) == []


async def test_a_recipient_smuggling_headers_is_refused(client, emit, sink, job_for) -> None:
    event_id = await emit(_reset("eve@example.com\r\nBcc: victim@example.com"))
    failed = await job_for(event_id, "failed")
    assert failed["last_error"] == "the recipient or a header is malformed"
    assert sink.messages == []
