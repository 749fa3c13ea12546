"""The event backbone: envelope, schemas, topology, transactional outbox, idempotent consumers."""

from common.events.bus import EventBus
from common.events.consumer import AfterCommit, Batched, Consumer, Handler
from common.events.envelope import Envelope, Event
from common.events.outbox import OutboxRelay, add_event, add_events, outbox_row
from common.events.tables import INBOX_DDL, OUTBOX_DDL, inbox, outbox
from common.events.topology import SUBSCRIPTIONS, Subscription

__all__ = [
    "INBOX_DDL",
    "OUTBOX_DDL",
    "SUBSCRIPTIONS",
    "AfterCommit",
    "Batched",
    "Consumer",
    "Envelope",
    "Event",
    "EventBus",
    "Handler",
    "OutboxRelay",
    "Subscription",
    "add_event",
    "add_events",
    "inbox",
    "outbox",
    "outbox_row",
]
