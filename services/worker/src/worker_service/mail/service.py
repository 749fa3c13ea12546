"""E-mail jobs: welcome, password reset and address verification, rendered from templates, sent by SMTP.

Delivery trade-off (SMTP is not transactional, so "exactly once" cannot be promised):
the runner commits the claim, which raises ``attempts``, BEFORE the message is handed to the
server, and commits ``succeeded`` right AFTER. A crash between the hand-over and that commit
leaves the job ``running`` with a lapsing lease; another runner then sends it again. So a mail
is sent at most once per attempt, and at least once overall unless every attempt fails: a
duplicate reset or welcome mail is harmless (same link, same token), a lost one locks a user out.
Two runners never both send it because one stalled: right before the hand-over the runner passes
the job's fence (its lease renewed in one statement fenced on the attempt), and a runner whose
lease was lost has its job cancelled (``jobs/runner.py``).
Version 2 of auth's mailed-token events carries the token sealed (``TokenSeal``, key
``MAIL_TOKEN_KEY``, shared with auth); it is opened only here, to write the link. Version 1 (the raw
``token``) is still accepted while auth is rolled out.
Every attempt of one job carries the same ``Message-ID`` (``<job id@sender domain>``), so mail
clients and servers that deduplicate on it show the duplicate once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from string import Template
from typing import Any
from urllib.parse import quote

import aiosmtplib
from pydantic import ValidationError

from common.events import Event
from common.events.schemas import (
    EmailVerificationRequested,
    PasswordResetRequested,
    TokenSeal,
    UserRegistered,
)
from worker_service.jobs.kinds import JobContext, JobKind, JobRejected
from worker_service.settings import WorkerSettings

__all__ = ["MAIL_KINDS", "deliver", "render"]

log = logging.getLogger("worker_service.mail")

_RESET = Template(
    """Hello $username,

someone (hopefully you) asked to reset the password of your account.
Open this link to choose a new password. It works once, until $expires:

$link

If you did not ask for this, ignore this message: your password stays as it is.
"""
)
_VERIFY = Template(
    """Hello $username,

please confirm that $email is your address by opening this link (valid until $expires):

$link
"""
)
_WELCOME = Template(
    """Welcome, $username!

your account is ready: $home
$verify"""
)
_WELCOME_VERIFY = Template(
    """
Please confirm your e-mail address by opening this link:

$link
"""
)


def _link(settings: WorkerSettings, path: str, token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}{path}?token={quote(token, safe='')}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _compose(job_type: str, payload: dict[str, Any], settings: WorkerSettings) -> tuple[str, str, str]:
    """Recipient, subject and body for a mail job (raises ``ValidationError`` on a bad payload)."""
    seal = TokenSeal(settings.mail_token_key.get_secret_value())
    if job_type == "email.password_reset":
        reset = PasswordResetRequested.model_validate(payload)
        link = _link(settings, settings.password_reset_path, reset.raw_token(seal))
        body = _RESET.substitute(username=reset.username, link=link, expires=_when(reset.expires_at))
        return reset.email, "Reset your password", body
    if job_type == "email.verification":
        verify = EmailVerificationRequested.model_validate(payload)
        link = _link(settings, settings.verify_email_path, verify.raw_token(seal))
        body = _VERIFY.substitute(
            username=verify.username, email=verify.email, link=link, expires=_when(verify.expires_at)
        )
        return verify.email, "Confirm your e-mail address", body
    user = UserRegistered.model_validate(payload)
    verify_text = ""
    if user.verification_token:  # version 1; version 2 has its own verification mail
        verify_text = _WELCOME_VERIFY.substitute(
            link=_link(settings, settings.verify_email_path, user.verification_token)
        )
    body = _WELCOME.substitute(username=user.username, home=settings.public_base_url, verify=verify_text)
    return user.email, "Welcome to Social Posts", body


def render(ctx: JobContext, job_type: str, payload: dict[str, Any]) -> EmailMessage:
    """The message for a job; ``JobRejected`` if the payload cannot make a valid one."""
    settings = ctx.settings
    try:
        recipient, subject, body = _compose(job_type, payload, settings)
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = f"<{ctx.job_id}@{settings.mail_from.rpartition('@')[2] or 'localhost'}>"
        message.set_content(body)
    except ValidationError as exc:
        # Only field names: the payload holds a one-time token that must not reach a log.
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"]) or "a token"
        raise JobRejected(f"the event is missing or has invalid fields: {fields}") from None
    except ValueError as exc:
        if "sealed" in str(exc):  # TokenSeal.open: MAIL_TOKEN_KEY differs from auth's
            raise JobRejected("the token could not be unsealed: check MAIL_TOKEN_KEY") from None
        raise JobRejected("the recipient or a header is malformed") from None
    return message


async def deliver(message: EmailMessage, settings: WorkerSettings) -> None:
    """Hand the message to the SMTP server. 5xx answers are final; the rest is worth a retry."""
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refusal.code for refusal in exc.recipients]
        if codes and all(code >= 500 for code in codes):
            raise JobRejected(f"the mail server refused the recipient ({codes[0]})") from None
        raise ConnectionError(f"the mail server deferred the recipient ({codes[:1]})") from None
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code >= 500:
            raise JobRejected(f"the mail server refused the message ({exc.code})") from None
        raise ConnectionError(f"the mail server deferred the message ({exc.code})") from None
    except aiosmtplib.SMTPException as exc:
        raise ConnectionError(f"could not reach the mail server: {type(exc).__name__}") from None


def _no_report(_payload: dict[str, Any], _reason: str) -> list[Event]:
    """A mail given up on publishes nothing (no service would act on it): the failed job is the
    record, listed with its error and retried through ``/internal/jobs``."""
    return []


def _mail_kind(job_type: str) -> JobKind:
    async def run(ctx: JobContext, payload: dict[str, Any]) -> list[Event]:
        message = render(ctx, job_type, payload)
        await ctx.fence()  # a runner that lost its lease must not hand the mail over as well
        await deliver(message, ctx.settings)
        log.info("mail sent", extra={"job_id": str(ctx.job_id), "type": job_type, "attempt": ctx.attempt})
        return []

    return JobKind(
        type=job_type,
        queue="mail",
        run=run,
        failed=_no_report,
        secret_fields=("token", "sealed_token", "verification_token"),
    )


MAIL_KINDS = (
    _mail_kind("email.welcome"),
    _mail_kind("email.password_reset"),
    _mail_kind("email.verification"),
)
