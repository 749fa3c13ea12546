"""Safe retries: the ``Idempotency-Key`` request header (IETF httpapi draft "The Idempotency-Key HTTP
Header Field") on the writes a client may need to retry after a timeout.

A route that takes it (``IdempotencyKeyDep``) does, in ONE transaction with its effect::

    replay = await idempotency.begin(session, fingerprint)   # 409 / 422 / the first answer / None
    if replay is not None:
        return replay
    ...the effect...
    return await idempotency.record(session, response)       # the answer, kept with the key

- ``begin`` takes a transaction-scoped advisory lock on (scope, key). Another request holding it is
  the first attempt, still running: 409 (``idempotency-key-in-use``), retry later. The lock goes with
  the transaction (commit, rollback, or a process that died with its connection), so a crashed first
  attempt never blocks the key.
- Then it reads the key's row: the same fingerprint (method, path, body) replays the first answer
  (status, body, ``Location``) with ``Idempotent-Replayed: true``; another fingerprint is a 422
  (``idempotency-key-reused``).
- ``record`` writes the row in the transaction of the effect: both commit or neither does, so a
  request that failed left no key behind and its retry runs again; one that succeeded is never
  done twice.

Keys live ``IDEMPOTENCY_KEY_TTL_SECONDS`` (24 h by default); an expired key is as good as new, and
each ``record`` deletes a few expired rows (no schedule needed). A key is scoped (per user on signed-in
routes), 1-255 printable ASCII characters without spaces, quotes or backslashes, sent bare or as a
structured-field string (``"..."``); anything else is a 400 (``bad-idempotency-key``). The
fingerprint is an HMAC, so a body's secrets (a password at sign-up) are not kept in a form that can be
guessed offline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import Header, Request, Response
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import BadRequest, Conflict, Unprocessable

__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "Idempotency",
    "IdempotencyKeyHeader",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "InvalidIdempotencyKey",
    "idempotency_keys",
    "idempotency_metadata",
    "parse_key",
]

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
MAX_KEY_LENGTH: Final = 255
#: Printable ASCII without space, quote or backslash (an sf-string's characters, unescaped).
_KEY = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1," + str(MAX_KEY_LENGTH) + "}")
#: Headers of the first answer that a replay repeats (the body and status always).
_KEPT_HEADERS: Final = ("location", "content-type", "etag")
#: Expired rows deleted by each ``record``: enough to keep up with the writes that make them.
_PRUNE_BATCH: Final = 100

#: The table, on its own metadata like the outbox's: what a service's migration creates (its own
#: frozen DDL) and its test compares the migrated schema with; the queries below are plain SQL.
idempotency_metadata = MetaData()
idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    Column("scope", String(80), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)


#: The header as a route parameter (so OpenAPI documents it); pass its value to ``Idempotency.of``.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A unique key (a UUID) for this request: a retry with the same key and body "
        "replays the first answer (Idempotent-Replayed: true) instead of doing it again; kept 24 h "
        f"(IDEMPOTENCY_KEY_TTL_SECONDS). 1-{MAX_KEY_LENGTH} printable ASCII characters (400 otherwise)",
    ),
]


class InvalidIdempotencyKey(BadRequest):
    kind = "bad-idempotency-key"


class IdempotencyKeyInUse(Conflict):
    kind = "idempotency-key-in-use"
    default_detail = (
        "A request with this Idempotency-Key is still being processed; retry it after it completes"
    )

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class IdempotencyKeyReused(Unprocessable):
    kind = "idempotency-key-reused"
    default_detail = (
        "This Idempotency-Key was used for a different request (another path or body); "
        "use a new key for a new request"
    )


def parse_key(header: str | None) -> str | None:
    """The key in an ``Idempotency-Key`` header (``None`` when absent); 400 when malformed."""
    if header is None:
        return None
    value = header.strip()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]  # the draft's sf-string form
    if not _KEY.fullmatch(value):
        raise InvalidIdempotencyKey(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters without spaces, "
            "quotes or backslashes (a UUID is a good key), optionally in double quotes"
        )
    return value


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The ``Idempotency-Key`` of one request (``key`` is ``None`` without the header: no effect)."""

    key: str | None
    scope: str
    method: str
    path: str
    ttl: timedelta
    secret: bytes

    @classmethod
    def of(
        cls, request: Request, header: str | None, *, scope: str, ttl_seconds: int, secret: bytes
    ) -> Idempotency:
        return cls(
            parse_key(header),
            scope,
            request.method,
            request.url.path,
            timedelta(seconds=ttl_seconds),
            secret,
        )

    def fingerprint(self, body: bytes) -> str:
        message = b"\n".join((self.method.encode(), self.path.encode(), hashlib.sha256(body).digest()))
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    async def begin(self, session: AsyncSession, body: bytes) -> Response | None:
        """The first answer to replay, or ``None`` to go on (the key is then held until commit)."""
        if self.key is None:
            return None
        locked = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))"),
            {"name": f"idempotency {self.scope} {self.key}"},
        )
        if not locked:
            raise IdempotencyKeyInUse()
        row = (
            await session.execute(
                text(
                    "SELECT fingerprint, status_code, headers, body, expires_at > now() AS live "
                    "FROM idempotency_keys WHERE scope = :scope AND key = :key"
                ),
                {"scope": self.scope, "key": self.key},
            )
        ).one_or_none()
        if row is None:
            return None
        if not row.live:  # expired: as good as a new key
            await session.execute(
                text("DELETE FROM idempotency_keys WHERE scope = :scope AND key = :key"),
                {"scope": self.scope, "key": self.key},
            )
            return None
        if not hmac.compare_digest(row.fingerprint, self.fingerprint(body)):
            raise IdempotencyKeyReused()
        headers: dict[str, str] = dict(row.headers)
        headers[REPLAYED_HEADER] = "true"
        headers["Cache-Control"] = "no-store"
        return Response(bytes(row.body), status_code=row.status_code, headers=headers)

    async def record(self, session: AsyncSession, body: bytes, response: Response) -> Response:
        """Keep ``response`` (the effect's answer) under the key, in the effect's transaction."""
        if self.key is None:
            return response
        kept: dict[str, Any] = {
            name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers
        }
        now = datetime.now(UTC)
        await session.execute(
            text(
                "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys "
                "WHERE expires_at < now() LIMIT :batch))"
            ),
            {"batch": _PRUNE_BATCH},
        )
        await session.execute(
            text(
                "INSERT INTO idempotency_keys "
                "(scope, key, fingerprint, status_code, headers, body, created_at, expires_at) "
                "VALUES (:scope, :key, :fingerprint, :status, CAST(:headers AS JSONB), :body, :now, :expires)"
            ),
            {
                "scope": self.scope,
                "key": self.key,
                "fingerprint": self.fingerprint(body),
                "status": response.status_code,
                "headers": json.dumps(kept),
                "body": bytes(response.body),
                "now": now,
                "expires": now + self.ttl,
            },
        )
        return response
