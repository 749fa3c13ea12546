"""Declare every installed subscription's queues, as each consumer does on its first start.

    python -m common.events.declare    # AMQP_URL, EVENTS_PREFIX, CONSUMER_MAX_ATTEMPTS, ..._RETRY_BASE_MS

For a new deployment, before the services take traffic: an event two subscriptions receive is kept
for one that has not started yet only if its queue exists (docs/events.md, "Start order").
"""

from __future__ import annotations

import argparse
import asyncio
import os

import aio_pika

from common.events.topology import declare_subscription, installed_subscriptions
from common.settings import ServiceSettings

__all__ = ["declare_installed", "main"]


async def declare_installed(
    url: str, *, prefix: str = "", max_attempts: int, retry_base_ms: int
) -> list[str]:
    """Declare every installed subscription under ``prefix``; returns their names."""
    subscriptions = installed_subscriptions()
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        for sub in subscriptions.values():
            await declare_subscription(
                channel, sub.with_prefix(prefix), max_attempts=max_attempts, retry_base_ms=retry_base_ms
            )
    return list(subscriptions)


def main(argv: list[str] | None = None) -> int:
    fields = ServiceSettings.model_fields
    parser = argparse.ArgumentParser(
        prog="python -m common.events.declare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument(
        "--prefix", default=os.environ.get("EVENTS_PREFIX", ""), help="default: EVENTS_PREFIX"
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=int(os.environ.get("CONSUMER_MAX_ATTEMPTS", fields["consumer_max_attempts"].default)),
    )
    parser.add_argument(
        "--retry-base-ms",
        type=int,
        default=int(os.environ.get("CONSUMER_RETRY_BASE_MS", fields["consumer_retry_base_ms"].default)),
    )
    args = parser.parse_args(argv)
    names = asyncio.run(
        declare_installed(
            args.amqp_url,
            prefix=args.prefix,
            max_attempts=args.max_attempts,
            retry_base_ms=args.retry_base_ms,
        )
    )
    print(f"declared {', '.join(names)} (prefix {args.prefix!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
