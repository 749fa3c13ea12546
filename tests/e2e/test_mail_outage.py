"""Mail sent while the mail server is down is not lost for good: ``make jobs-retry`` sends it later.

The stack's mail catcher is stopped (the fault: nothing listens on the worker's SMTP port), a password
reset is asked for, and the worker's job fails after its attempts ("could not reach the mail
server"). With the catcher back, ``make jobs-retry QUEUE=mail`` makes the failed mail jobs pending
again, and the reset mail arrives in the catcher.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def _failed_mail_jobs(env: dict[str, str]) -> list[str]:
    listed = subprocess.run(
        [
            *(str(ROOT / ".venvs" / "worker" / "bin" / "python"), "-m", "worker_service.cli", "jobs", "list"),
            *("--status", "failed", "--type", "email.password_reset"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return listed.stdout.splitlines()


def _catcher_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_mail_jobs_failed_while_smtp_was_down_are_sent_by_make_jobs_retry(
    stack: Any, mail_catcher: Any
) -> None:
    env = {**os.environ, "DATABASE_URL": stack.config.database_url("worker")}
    name = f"outage_{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    account = {"email": email, "username": name, "password": PASSWORD}
    # Its own loopback source address: auth limits sign-ups and reset requests per address.
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.152"), timeout=10) as client:
        _fail_a_reset_mail(stack, mail_catcher, client, account, env)
    _retry_and_receive(stack, mail_catcher, email, env)


def _fail_a_reset_mail(
    stack: Any, mail_catcher: Any, client: httpx.Client, account: dict[str, str], env: dict[str, str]
) -> None:
    gateway, email = stack.config.gateway_url, account["email"]
    assert client.post(f"{gateway}/api/v1/auth/register", json=account).status_code == 201
    mail_catcher.wait_for(email, "Welcome")

    stack.stop(["mail"])
    try:
        forgot = client.post(f"{gateway}/api/v1/auth/password/forgot", json={"email": email})
        assert forgot.status_code == 202
        deadline = time.monotonic() + 60
        while not (failed := _failed_mail_jobs(env)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert failed, "the reset mail's job did not fail while the mail server was down"
        assert "could not reach the mail server" in failed[0]
    finally:
        stack.start(["mail"])
        deadline = time.monotonic() + 20
        while not _catcher_up(mail_catcher.url) and time.monotonic() < deadline:
            time.sleep(0.2)
    caught = mail_catcher.to(email)
    assert caught  # the welcome mail, from before the outage
    assert all("reset" not in m["subject"].lower() for m in caught)


def _retry_and_receive(stack: Any, mail_catcher: Any, email: str, env: dict[str, str]) -> None:
    gateway = stack.config.gateway_url
    retried = subprocess.run(
        ["make", "--no-print-directory", "jobs-retry", "QUEUE=mail"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert retried.returncode == 0, retried.stderr
    assert "failed job(s) pending again" in retried.stdout
    message = mail_catcher.wait_for(email, "Reset your password")
    assert f"{gateway}/reset-password?token=" in message["text"]
    assert _failed_mail_jobs(env) == []
