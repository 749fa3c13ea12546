"""The outbox and inbox tables every event-using service has, and the DDL its migration runs.

Defined with SQLAlchemy Core on their own metadata so a service's models never collide with them
and the relay and consumer can use them without the ORM.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = ["INBOX_DDL", "OUTBOX_CHANNEL", "OUTBOX_DDL", "event_metadata", "inbox", "outbox"]

OUTBOX_CHANNEL = "outbox"
event_metadata = MetaData()

outbox = Table(
    "outbox",
    event_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(120), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    # The writing request's W3C trace context (traceparent, tracestate); null while tracing is off.
    Column("trace_context", JSONB(none_as_null=True)),
    Index("ix_outbox_pending", "id", postgresql_where=text("sent_at IS NULL")),
    Index("ix_outbox_sent_at", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
)

inbox = Table(
    "inbox",
    event_metadata,
    Column("event_id", Uuid, nullable=False),
    Column("consumer", String(80), nullable=False),
    Column("type", String(120), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("event_id", "consumer", name="pk_inbox"),
)

#: Statements a migration runs to create the outbox with its wake-up trigger.
OUTBOX_DDL = (
    """
    CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        event_id UUID NOT NULL UNIQUE,
        type VARCHAR(120) NOT NULL,
        envelope JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        sent_at TIMESTAMPTZ,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        trace_context JSONB
    )
    """,
    "CREATE INDEX ix_outbox_pending ON outbox (id) WHERE sent_at IS NULL",
    "CREATE INDEX ix_outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL",
    f"""
    CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
    """,
)

INBOX_DDL = (
    """
    CREATE TABLE inbox (
        event_id UUID NOT NULL,
        consumer VARCHAR(80) NOT NULL,
        type VARCHAR(120) NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT pk_inbox PRIMARY KEY (event_id, consumer)
    )
    """,
)
