"""Passwords and tokens never reach the logs, whatever the flow."""

from __future__ import annotations

import io
import logging

from pythonjsonlogger.json import JsonFormatter

from common.events.schemas import EmailVerificationRequested, PasswordResetRequested

PASSWORD = "log scan secret passphrase"
NEW_PASSWORD = "another log scan passphrase"


async def test_no_password_or_token_is_logged(client, api):
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        account = await api.signup("logan", password=PASSWORD)
        wrong = await api.login("logan", "a wrong password guess")
        rotated = (await api.refresh(account.refresh)).json()
        assert (await api.refresh(rotated["refresh_token"])).status_code == 200
        reuse = await api.refresh(account.refresh)  # logged as a security event
        await client.post("/api/v1/auth/password/forgot", json={"email": "logan@example.com"})
        [reset] = await api.mailed(PasswordResetRequested.TYPE)
        await client.post(
            "/api/v1/auth/password/reset", json={"token": reset["token"], "new_password": NEW_PASSWORD}
        )
        [registered] = await api.mailed(EmailVerificationRequested.TYPE)
        await client.post("/api/v1/auth/verify", json={"token": registered["token"]})
        again = (await api.login("logan", NEW_PASSWORD)).json()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert wrong.status_code == 401
    assert reuse.status_code == 401
    logged = buffer.getvalue()
    assert '"request"' in logged
    assert "refresh_token_reuse" in logged
    secrets = {
        "password": PASSWORD,
        "wrong password": "a wrong password guess",
        "new password": NEW_PASSWORD,
        "access token": account.access,
        "refresh token": account.refresh,
        "rotated access token": rotated["access_token"],
        "rotated refresh token": rotated["refresh_token"],
        "csrf token": rotated["csrf_token"],
        "reset token": reset["token"],
        "verification token": registered["token"],
        "later access token": again["access_token"],
    }
    for name, value in secrets.items():
        assert value not in logged, f"the {name} was logged"
        assert value.split(".")[-1] not in logged, f"part of the {name} was logged"
