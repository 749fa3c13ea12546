"""Inspect and replay dead-lettered messages.

    python -m common.events.dlq list   [--queue posts] [--limit 50] [--prefix test.]
    python -m common.events.dlq replay [--queue posts] [--id EVENT_ID] [--limit 50] [--prefix test.]

``list`` reads without acknowledging, so the messages stay where they are. ``replay`` moves them
back into the subscription's work queue with a fresh attempt count (confirmed before each ack).
Without ``--queue`` both act on every installed subscription (the service packages' handler
registries, entry point group ``common.subscriptions``). ``--prefix`` defaults to ``EVENTS_PREFIX``,
the topology prefix the services use (empty in production), as ``--amqp-url`` defaults to
``AMQP_URL``; ``make dlq`` runs this module.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from common.events.consumer import ATTEMPT_HEADER
from common.events.topology import Subscription, installed_subscriptions

__all__ = ["list_dead_letters", "main", "replay_dead_letters"]


def _describe(message: AbstractIncomingMessage) -> dict[str, Any]:
    try:
        body: Any = json.loads(message.body)
    except ValueError:
        body = message.body[:200].decode("utf-8", "replace")
    headers = message.headers or {}
    return {
        "message_id": message.message_id,
        "type": body.get("type") if isinstance(body, dict) else None,
        "attempts": headers.get(ATTEMPT_HEADER),
        "error": headers.get("x-last-error"),
        "envelope": body,
    }


def _subscription(name: str | Subscription, prefix: str) -> Subscription:
    base = name if isinstance(name, Subscription) else installed_subscriptions()[name]
    return base.with_prefix(prefix)


async def list_dead_letters(
    url: str, name: str | Subscription, limit: int = 50, *, prefix: str = ""
) -> list[dict[str, Any]]:
    """``name``: an installed subscription's name, or any subscription."""
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(_subscription(name, prefix).dlq)
        seen = []
        for _ in range(limit):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            seen.append(_describe(message))
        # closing the channel without acks puts every message back, in order
    return seen


async def replay_dead_letters(
    url: str, name: str | Subscription, *, event_id: str | None = None, limit: int = 1000, prefix: str = ""
) -> int:
    sub = _subscription(name, prefix)
    connection = await aio_pika.connect(url, timeout=5)
    replayed = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.get_queue(sub.dlq)
        for _ in range(limit):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if event_id is not None and message.message_id != event_id:
                continue  # left unacked: returns to the queue when the channel closes
            headers = {k: v for k, v in (message.headers or {}).items() if k != "x-last-error"}
            headers[ATTEMPT_HEADER] = 1
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    message_id=message.message_id,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers=headers,
                ),
                routing_key=sub.queue,
            )
            await message.ack()
            replayed += 1
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m common.events.dlq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["list", "replay"])
    subscriptions = installed_subscriptions()
    parser.add_argument("--queue", choices=sorted(subscriptions), help="subscription (default: all)")
    parser.add_argument("--id", dest="event_id", help="replay only this event id")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument(
        "--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument(
        "--prefix",
        default=os.environ.get("EVENTS_PREFIX", ""),
        help="topology prefix (default: EVENTS_PREFIX, empty in production)",
    )
    args = parser.parse_args(argv)
    names = [args.queue] if args.queue else sorted(subscriptions)
    if args.action == "list":
        for name in names:
            for item in asyncio.run(list_dead_letters(args.amqp_url, name, args.limit, prefix=args.prefix)):
                print(
                    json.dumps(
                        {"queue": subscriptions[name].with_prefix(args.prefix).dlq, **item}, default=str
                    )
                )
        return 0
    for name in names:
        count = asyncio.run(
            replay_dead_letters(
                args.amqp_url, name, event_id=args.event_id, limit=args.limit, prefix=args.prefix
            )
        )
        print(f"replayed {count} message(s) into {subscriptions[name].with_prefix(args.prefix).queue}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
