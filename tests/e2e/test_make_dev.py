"""``make dev`` as a user runs it: it says what it started, refuses taken ports, and stops cleanly.

The mail catcher it prints is where a password-reset mail arrives, with a link to the gateway's page.

A second dev stack on its own ports and databases (``STACK_PORT_BASE`` and friends), so a developer's
running ``make dev`` is not disturbed. The stop is what a supervisor or an IDE's stop button does:
SIGTERM to the whole process group, where make forwards it again, and once more for good measure.
Its databases (``<svc>_devtest``) are kept between runs, as a developer's are: a second run only
checks their migrations.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BASE = 16000
# gateway, auth, posts, votes, worker, Traefik's ping/metrics and hops, the mail catcher's SMTP and page
PORTS = range(BASE, BASE + 9)
ENV = {
    "STACK_PORT_BASE": str(BASE),
    "STACK_DB_SUFFIX": "_devtest",
    "STACK_EVENTS_PREFIX": "devtest.",
    "STACK_REDIS_URL": "redis://127.0.0.1:6379/7",
}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stack_processes() -> list[str]:
    """Command lines of live processes that belong to this test's stack."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ours = f".dev/traefik/{BASE}/" in cmdline or f".dev/mail/{BASE}" in cmdline
        if ours or any(f"--port {p} " in f"{cmdline} " for p in PORTS):
            found.append(cmdline)
    return found


class Output:
    """Everything the process prints, read as it comes (a full pipe would block the stack's logging)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        self._thread = threading.Thread(target=self._drain, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _drain(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line)

    def close(self, proc: subprocess.Popen[str]) -> None:
        self._thread.join(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not printed within {timeout:.0f}s:\n{''.join(self.lines)[-4000:]}")


def _a_reset_mail_arrives_in_the_catcher(gateway: str, catcher: str) -> None:
    name = f"dev_{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    account = {"email": email, "username": name, "password": "correct horse battery staple"}
    assert httpx.post(f"{gateway}/api/v1/auth/register", json=account, timeout=10).status_code == 201
    forgot = httpx.post(f"{gateway}/api/v1/auth/password/forgot", json={"email": email}, timeout=10)
    assert forgot.status_code == 202, forgot.text
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mails = httpx.get(f"{catcher}/api/messages", params={"to": email}, timeout=5).json()
        resets = [m for m in mails if m["subject"] == "Reset your password"]
        if resets:
            assert f"{gateway}/reset-password?token=" in resets[0]["text"]
            page = httpx.get(f"{catcher}/messages/{resets[0]['id']}", timeout=5)
            assert f'href="{gateway}/reset-password?token=' in page.text
            return
        time.sleep(0.2)
    raise AssertionError(f"no reset mail for {email} in the catcher within 15s")


@pytest.mark.timeout(300)
def test_make_dev_prints_traefik_refuses_taken_ports_and_leaves_nothing_after_sigterm() -> None:
    taken = [p for p in PORTS if _listening(p)]
    if taken:
        pytest.skip(f"ports {taken} are in use by something else on this machine")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "dev"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(proc)
    try:
        up = output.wait_for("the stack is up", timeout=180)
        assert f"gateway (Traefik 3.7.15) at http://127.0.0.1:{BASE}" in up
        assert all(_listening(p) for p in PORTS)
        mail = output.wait_for("mail catcher:", timeout=5)
        assert f"mail catcher: http://127.0.0.1:{BASE + 8}" in mail
        _a_reset_mail_arrives_in_the_catcher(f"http://127.0.0.1:{BASE}", f"http://127.0.0.1:{BASE + 8}")

        # A second `make dev` on the same ports refuses at once and names the port.
        second = subprocess.run(
            ["make", "--no-print-directory", "dev"],
            cwd=ROOT,
            env={**os.environ, **ENV},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode != 0
        assert f"port {BASE} (gateway) is already in use" in second.stderr
        assert proc.poll() is None  # the first one is untouched

        for _ in range(3):  # make forwards the signal; a supervisor may repeat it
            os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(0.3)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        output.close(proc)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (_stack_processes() or any(_listening(p) for p in PORTS)):
        time.sleep(0.2)
    assert _stack_processes() == []
    assert [p for p in PORTS if _listening(p)] == []
