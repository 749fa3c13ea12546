"""The one envelope every event travels in, and the base class of every payload."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Envelope", "Event"]

E = TypeVar("E", bound="Event")


class Event(BaseModel):
    """A past-tense, immutable fact. Subclasses set ``TYPE`` (the routing key) and ``VERSION``."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @classmethod
    def producer(cls) -> str:
        """Who publishes it: the first word of ``TYPE`` (``posts.post.created``: ``posts``)."""
        return cls.TYPE.split(".", 1)[0]


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event, *, correlation_id: str | None) -> Envelope:
        """``event`` in its envelope; the producer is the type's first word (``Event.producer``)."""
        return cls(
            type=event.TYPE,
            version=event.VERSION,
            producer=event.producer(),
            correlation_id=correlation_id,
            data=event.model_dump(mode="json"),
        )

    def parse(self, model: builtins.type[E]) -> E:
        """The typed payload; raises ``ValueError`` if the type does not match."""
        if self.type != model.TYPE:
            raise ValueError(f"event {self.id} is {self.type}, not {model.TYPE}")
        return model.model_validate(self.data)
