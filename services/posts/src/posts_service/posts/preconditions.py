"""Optimistic concurrency on a post: its ETag, and ``If-Match`` on ``PUT``, ``PATCH`` and ``DELETE``.

A single post's ETag is ``"<version>.<body hash>"``:

- ``version`` is the post's ``updated_at`` in microseconds since the epoch, which only an edit or a
  restore moves (votes and the author's name live in read models, not in the post's row). It is
  what ``If-Match`` compares: someone else's vote changes the body but not the version, so it does
  not make an editor's tag stale, while any edit of the content does.
- the body hash changes with everything the reader sees (vote count, author name), so
  ``If-None-Match`` → 304 stays correct for reads.

``If-Match`` is compared on the version part only, after the usual answers (404 for a post the
caller cannot see, 403 for someone else's): a tag of another version is a 412; ``*`` matches any
existing post; no header is served as before, unless ``REQUIRE_IF_MATCH`` is set (428).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header

from common.errors import BadRequest, PreconditionFailed, PreconditionRequired
from posts_service.state import State

__all__ = ["IfMatch", "IfMatchDep", "content_version", "post_etag"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_HEADER = 2048


def content_version(updated_at: datetime) -> str:
    """The post's content version as it appears in its ETag."""
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    return str((updated_at - _EPOCH) // timedelta(microseconds=1))


def post_etag(body: bytes, body_tag: str) -> str:
    """The ETag of one rendered post: its content version, then the tag of the exact bytes."""
    updated_at = datetime.fromisoformat(json.loads(body)["updated_at"])
    return f'"{content_version(updated_at)}.{body_tag.removeprefix("W/").strip(chr(34))}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    """What the client's ``If-Match`` asks: nothing (``None``), any post (``*``), or these versions."""

    versions: frozenset[str] | None
    any: bool = False

    def check(self, updated_at: datetime) -> None:
        """412 unless the post (found and the caller's to change) is at a version the client named."""
        if self.versions is None or self.any:
            return
        if content_version(updated_at) not in self.versions:
            raise PreconditionFailed(
                "The post changed since you read it (If-Match does not match its ETag); "
                "read it again and reapply your change"
            )

    @classmethod
    def parse(cls, header: str | None) -> IfMatch:
        if header is None:
            return cls(None)
        if len(header) > _MAX_HEADER:
            raise BadRequest(f"If-Match is limited to {_MAX_HEADER} characters")
        versions: set[str] = set()
        for raw in header.split(","):
            tag = raw.strip()
            if tag == "*":
                return cls(None, any=True)
            if tag.startswith("W/"):  # If-Match compares strongly: a weak tag never matches
                continue
            if len(tag) < 2 or not (tag.startswith('"') and tag.endswith('"')):
                raise BadRequest('If-Match takes ETags as sent (in double quotes), or "*"')
            versions.add(tag[1:-1].split(".", 1)[0])
        return cls(frozenset(versions))


async def _if_match(
    state: State,
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag you read (GET): the change is refused (412) if the post changed since; "*" '
            "accepts any version. Required (428 without it) when the deployment sets REQUIRE_IF_MATCH."
        ),
    ] = None,
) -> IfMatch:
    if if_match is None and state.settings.require_if_match:
        raise PreconditionRequired(
            "This deployment requires If-Match on changes: send the ETag of the post you read"
        )
    return IfMatch.parse(if_match)


IfMatchDep = Annotated[IfMatch, Depends(_if_match)]
