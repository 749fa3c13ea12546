"""A subscription's handlers, registered once; its queue's bindings are derived from them.

```python
handlers = Handlers("votes")        # the queue is ``votes.events``; also the inbox's consumer key

@handlers.on(PostCreated, PostUpdated, PostRestored)
async def on_post_changed(session: AsyncSession, event: Envelope) -> None: ...

@handlers.on_batch(VoteCast, VoteRetracted)      # one call for a run of these events
async def on_votes(session: AsyncSession, events: Sequence[Envelope]) -> None: ...
```

``runtime.consume(handlers, ...)`` consumes it: the consumer declares its queue, binds exactly the
registered types, and declares its retry queues and dead-letter queue. Every service's bus also
declares the whole system's subscriptions at start, from ``common/events/bindings.py``, which
``make sdk`` generates from these registries (``common.events.topology``). Each service package names
its registries in the entry point group ``common.subscriptions`` (``votes =
"votes_service.handlers:handlers"``); :func:`common.events.topology.installed_subscriptions` finds
them there for whatever needs every subscription (AsyncAPI, the dlq CLI, the test kit).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Envelope, Event
from common.events.topology import Subscription

__all__ = ["BatchApply", "Batched", "Handler", "Handlers"]

#: A handler is a plain function handed its dependencies: the open session and the event.
Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
#: A batched handler: the open session and a run of consecutive events of its types.
BatchApply = Callable[[AsyncSession, Sequence[Envelope]], Awaitable[None]]

H = TypeVar("H", bound=Callable[..., Awaitable[None]])


@dataclass(frozen=True, slots=True)
class Batched:
    """A handler that applies several events in one call: one statement for a batch, not one each.

    For effects that aggregate (counters, upserts). The consumer hands it each run of consecutive
    events in a batch that map to this same handler (register one ``Batched`` for several types to
    let them share runs), so delivery order is kept. Called with one event when a batch fell back to
    applying its messages alone.
    """

    apply: BatchApply


class Handlers:
    """The handlers of subscription ``name``, by event type; one handler per type."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_type: dict[str, Handler | Batched] = {}

    def __repr__(self) -> str:
        return f"Handlers({self.name!r}, types={list(self._by_type)})"

    def _add(self, events: Sequence[type[Event]], handler: Handler | Batched) -> None:
        if not events:
            raise ValueError("register a handler for at least one event type")
        for event in events:
            if event.TYPE in self._by_type:
                raise ValueError(f"{self.name} already handles {event.TYPE}")
            self._by_type[event.TYPE] = handler

    def on(self, *events: type[Event]) -> Callable[[H], H]:
        """Register the decorated ``handler(session, event)`` for each of ``events``."""

        def register(handler: H) -> H:
            self._add(events, handler)
            return handler

        return register

    def on_batch(self, *events: type[Event]) -> Callable[[H], H]:
        """Register the decorated ``apply(session, events)`` once for all of ``events``: it gets each
        run of consecutive events of these types in a batch (see :class:`Batched`)."""

        def register(apply: H) -> H:
            self._add(events, Batched(apply))
            return apply

        return register

    @property
    def mapping(self) -> Mapping[str, Handler | Batched]:
        """Event type to handler (read-only), as the consumer dispatches."""
        return MappingProxyType(self._by_type)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self._by_type)

    @property
    def subscription(self) -> Subscription:
        """The queue and its bindings: exactly the registered types."""
        return Subscription(self.name, self.types)

    def bind(self, **dependencies: Any) -> Handlers:
        """A copy whose handlers also get ``dependencies`` as keyword arguments, each handler the
        ones its signature names (settings known only when the app is built, e.g.
        ``handlers.bind(session_idle_ttl=...)``). A handler's keyword-only parameter left without a
        value is an error here, not at the first event."""
        bound = Handlers(self.name)
        done: dict[int, Handler | Batched] = {}
        for event_type, handler in self._by_type.items():
            if id(handler) not in done:
                done[id(handler)] = (
                    Batched(_bind(handler.apply, dependencies))
                    if isinstance(handler, Batched)
                    else _bind(handler, dependencies)
                )
            bound._by_type[event_type] = done[id(handler)]
        return bound


F = TypeVar("F", bound=Callable[..., Awaitable[None]])


def _bind(function: F, dependencies: Mapping[str, Any]) -> F:
    parameters = inspect.signature(function).parameters
    given = {name: value for name, value in dependencies.items() if name in parameters}
    missing = [
        name
        for name, p in parameters.items()
        if p.kind is p.KEYWORD_ONLY and p.default is p.empty and name not in given
    ]
    if missing:
        raise TypeError(f"{getattr(function, '__qualname__', function)} needs {missing}")
    if not given:
        return function
    return cast(F, functools.partial(function, **given))
