"""The event backbone: envelope, schemas, topology, transactional outbox, idempotent consumers."""

from common.events.bus import EventBus
from common.events.consumer import AfterCommit, Consumer
from common.events.envelope import Envelope, Event
from common.events.handlers import Batched, Handler, Handlers
from common.events.outbox import OutboxRelay, add_event, add_events, outbox_row
from common.events.tables import INBOX_DDL, OUTBOX_DDL, inbox, outbox
from common.events.topology import Subscription, installed_subscriptions

__all__ = [
    "INBOX_DDL",
    "OUTBOX_DDL",
    "AfterCommit",
    "Batched",
    "Consumer",
    "Envelope",
    "Event",
    "EventBus",
    "Handler",
    "Handlers",
    "OutboxRelay",
    "Subscription",
    "add_event",
    "add_events",
    "inbox",
    "installed_subscriptions",
    "outbox",
    "outbox_row",
]
