"""Worker runs against a real, freshly migrated ``worker_test`` database, Redis and RabbitMQ.

Outside things are real too: mail goes over SMTP to an ``aiosmtpd`` server on a free loopback
port, and media lives in a temporary directory through the same storage the app uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from common_testing import TokenFactory, eventually, fresh_service, truncate_all
from common_testing.plugin import ServiceUnderTest
from common_testing.ports import FreePorts
from worker_service.main import create_app
from worker_service.settings import WorkerSettings
from worker_service.state import state_of

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 10  # each suite has its own Redis database (see AGENTS.md)


class MailSink:
    """An SMTP server's handler that keeps what it receives; it can defer or refuse recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.defer: set[str] = set()
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.defer:
            return "451 4.3.0 Try again later"
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def mail_sink(free_port: FreePorts) -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture(scope="session")
async def overrides(
    mail_sink: tuple[MailSink, int], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    base = await fresh_service(
        db_name="worker_test", alembic_ini=ALEMBIC_INI, prefix="test-worker.", redis_db=REDIS_DB
    )
    return {
        **base,
        "smtp_host": "127.0.0.1",
        "smtp_port": mail_sink[1],
        "smtp_timeout_seconds": 5,
        "public_base_url": "https://social.test",
        "media_dir": str(tmp_path_factory.mktemp("media")),
        "media_max_width": 4000,
        "media_max_height": 4000,
        "job_max_attempts": 3,
        "job_retry_base_seconds": 0.05,
        "job_retry_max_seconds": 0.2,
        "job_lease_seconds": 2,
        "job_poll_seconds": 0.05,
    }


@pytest.fixture(scope="session")
def service_under_test(
    tokens: TokenFactory, overrides: dict[str, Any], mail_sink: tuple[MailSink, int]
) -> ServiceUnderTest:
    application = create_app(WorkerSettings(**overrides), verifier=tokens.verifier())

    async def reset() -> None:
        # Runners write jobs then outbox; TRUNCATE locks tables in its own order: pause them meanwhile.
        runners = state_of(application).job_runners
        await runners.stop(grace=5)
        try:
            await truncate_all(state_of(application).db.engine)
        finally:
            runners.start()
        sink = mail_sink[0]
        sink.messages.clear()
        sink.defer.clear()
        sink.refuse.clear()

    # ``sql``: rows from the worker database, as dicts, to check what was stored and published
    return ServiceUnderTest(application, reset=reset, sql_result="dicts")


@pytest.fixture
def sink(mail_sink: tuple[MailSink, int]) -> MailSink:
    return mail_sink[0]


@pytest.fixture
def published(sql: Callable[..., Awaitable[Any]]) -> Callable[[str], Awaitable[list[dict[str, Any]]]]:
    """The data of every event of ``type`` the worker wrote to its outbox."""

    async def _published(event_type: str) -> list[dict[str, Any]]:
        rows = await sql(
            "SELECT envelope FROM outbox WHERE type = :t AND envelope->>'producer' = 'worker' ORDER BY id",
            t=event_type,
        )
        return [row["envelope"]["data"] for row in rows]

    return _published


@pytest.fixture
def job_for(sql: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wait until the job made from ``event_id`` reaches one of ``statuses``; return its row."""

    async def _job_for(event_id: uuid.UUID, *statuses: str, within: float = 15) -> dict[str, Any]:
        async def settled() -> dict[str, Any] | None:
            rows = await sql("SELECT * FROM jobs WHERE event_id = :e", e=event_id)
            return rows[0] if rows and rows[0]["status"] in statuses else None

        row: dict[str, Any] = await eventually(settled, within=within)
        return row

    return _job_for
