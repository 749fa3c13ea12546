"""``Handlers``: a subscription's handlers, and the bindings derived from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Batched, Envelope, Event, Handlers, Subscription


class Made(Event):
    TYPE = "test.thing.made"


class Broken(Event):
    TYPE = "test.thing.broken"


class Mended(Event):
    TYPE = "test.thing.mended"


def test_the_subscription_binds_exactly_the_registered_types() -> None:
    handlers = Handlers("things")

    @handlers.on(Made)
    async def on_made(session: AsyncSession, event: Envelope) -> None: ...

    @handlers.on_batch(Broken, Mended)
    async def on_repairs(session: AsyncSession, events: Sequence[Envelope]) -> None: ...

    assert handlers.subscription == Subscription("things", (Made.TYPE, Broken.TYPE, Mended.TYPE))
    assert handlers.subscription.with_prefix("test.").queue == "test.things.events"
    assert handlers.mapping[Made.TYPE] is on_made
    # one Batched for both types, so a run mixing them is one call
    batched = handlers.mapping[Broken.TYPE]
    assert isinstance(batched, Batched)
    assert batched is handlers.mapping[Mended.TYPE]
    assert batched.apply is on_repairs


def test_a_type_has_one_handler_per_subscription() -> None:
    handlers = Handlers("things")
    handlers.on(Made)(_noop)
    with pytest.raises(ValueError, match=r"already handles test\.thing\.made"):
        handlers.on_batch(Made)(_noop)
    with pytest.raises(ValueError, match="at least one"):
        handlers.on()(_noop)


async def _noop(*_: object, **__: object) -> None:
    return None


async def test_bind_hands_each_handler_the_dependencies_it_names() -> None:
    handlers = Handlers("things")
    seen: list[object] = []

    @handlers.on(Made)
    async def on_made(session: AsyncSession, event: Envelope, *, ttl: timedelta) -> None:
        seen.append(ttl)

    @handlers.on(Broken)
    async def on_broken(session: AsyncSession, event: Envelope) -> None:
        seen.append("broken")

    with pytest.raises(TypeError, match="ttl"):
        handlers.bind()
    bound = handlers.bind(ttl=timedelta(seconds=5))
    assert bound.subscription == handlers.subscription
    assert bound.mapping[Broken.TYPE] is on_broken  # names none of them: unchanged
    envelope = Envelope.wrap(Made(), correlation_id=None)
    handler = bound.mapping[Made.TYPE]
    assert not isinstance(handler, Batched)
    await handler(None, envelope)  # type: ignore[arg-type]
    assert seen == [timedelta(seconds=5)]


def test_the_producer_is_the_first_word_of_the_type() -> None:
    assert Made.producer() == "test"
    assert Envelope.wrap(Made(), correlation_id=None).producer == "test"
