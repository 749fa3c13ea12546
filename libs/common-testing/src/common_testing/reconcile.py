"""The checker: compare what a producer wrote (its outbox) with what a consumer applied (its inbox).

    lost                  produced but never recorded by the consumer
    unexpected            recorded by the consumer but never produced
    duplicated_in_effect  applied more than once (needs a query over the consumer's effects that
                          returns one row per application with the event id in its first column)

Producer and consumer usually live in different databases; pass each one's ``Database``. Run it
after a fault-injection run, once the pipeline has drained; every count must be zero.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text

from common.db import Database
from common.events.tables import inbox, outbox

__all__ = ["Reconciliation", "reconcile"]


@dataclass(frozen=True)
class Reconciliation:
    produced: int
    lost: int
    unexpected: int
    duplicated_in_effect: int

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.unexpected == 0 and self.duplicated_in_effect == 0


async def reconcile(
    producer: Database,
    consumer: Database,
    *,
    consumer_name: str,
    types: Sequence[str],
    effects_sql: str | None = None,
) -> Reconciliation:
    async with producer.session() as session:
        produced = set(
            (await session.execute(select(outbox.c.event_id).where(outbox.c.type.in_(types)))).scalars()
        )
    async with consumer.session() as session:
        received: set[uuid.UUID] = set(
            (
                await session.execute(
                    select(inbox.c.event_id).where(inbox.c.consumer == consumer_name, inbox.c.type.in_(types))
                )
            ).scalars()
        )
        applied: Counter[uuid.UUID] = Counter()
        if effects_sql is not None:
            applied.update(row[0] for row in (await session.execute(text(effects_sql))).all())
    return Reconciliation(
        produced=len(produced),
        lost=len(produced - received),
        unexpected=len(received - produced),
        duplicated_in_effect=sum(1 for count in applied.values() if count > 1),
    )
