"""The listing's query, resolved once: sort, pagination mode, cache slot, and its opaque cursors.

Two pagination modes share ``GET /posts``:

* cursor (keyset) mode, the feed's: ``limit`` and ``cursor``. A cursor holds the sort keys of the last
  row served, so walking it returns each post exactly once even while posts are being written (new
  posts sort before the cursor). Under ``sort=top`` a post whose count changes mid-walk may move
  across the cursor: the price of ordering by a live number.
* page mode: ``page`` and ``size`` (or ``limit``), with ``total`` and ``has_more``; deep pages are
  capped because OFFSET grows slower with depth.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common import BadRequest
from common.pagination import decode_cursor, encode_cursor
from posts_service.posts.repository import PostRow
from posts_service.posts.schemas import FeedParams, Sort

__all__ = ["FeedQuery", "decode_feed_cursor", "encode_feed_cursor"]

_BAD_CURSOR = "Invalid cursor: pass back the next_cursor value of a previous page"


@dataclass(frozen=True, slots=True)
class FeedQuery:
    sort: Sort
    size: int
    #: ``None`` in cursor mode.
    page: int | None = None
    cursor: str | None = None
    author: uuid.UUID | str | None = None
    search: str | None = None

    @classmethod
    def from_params(cls, params: FeedParams) -> FeedQuery:
        search = params.search
        sort = params.sort or (Sort.RELEVANCE if search else Sort.NEW)
        if sort is Sort.RELEVANCE and search is None:
            raise BadRequest("sort=relevance needs a search text in q")
        if params.page_mode and params.cursor:
            raise BadRequest("Use either cursor (with limit) or page and size, not both")
        if params.page_mode:
            size = params.size or params.limit
            return cls(sort, size, page=params.page or 1, author=params.author, search=search)
        return cls(sort, params.limit, cursor=params.cursor, author=params.author, search=search)

    def cache_field(self, cached_pages: int) -> str | None:
        """This page's slot in the anonymous feed cache, or ``None`` if it is not one of the cached ones."""
        if self.search is not None or self.cursor is not None:
            return None
        if self.page is not None and self.page > cached_pages:
            return None
        return f"{self.sort.value}|{str(self.author or '').lower()}|{self.page or 0}|{self.size}"


def encode_feed_cursor(row: PostRow, sort: Sort) -> str:
    post = row.post
    keys: list[Any] = [post.created_at.isoformat(), str(post.id)]
    if sort is Sort.TOP:
        keys.insert(0, post.vote_count)
    elif sort is Sort.RELEVANCE:
        keys.insert(0, row.rank)
    return encode_cursor([sort.value, *keys])


def decode_feed_cursor(cursor: str, sort: Sort) -> list[Any]:
    """The sort-key values after which the next page starts (see ``repository.sort_keys``)."""
    values = decode_cursor(cursor, 4 if sort in (Sort.TOP, Sort.RELEVANCE) else 3)
    if values[0] != sort.value:
        raise BadRequest("This cursor belongs to another sort order; start again without a cursor")
    try:
        created_at = datetime.fromisoformat(values[-2])
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        tail = [created_at, uuid.UUID(values[-1])]
        if sort is Sort.TOP:
            return [_number(values[1], int), *tail]
        if sort is Sort.RELEVANCE:
            return [_number(values[1], float), *tail]
        return tail
    except (TypeError, ValueError):
        raise BadRequest(_BAD_CURSOR) from None


def _number(value: Any, kind: type[int] | type[float]) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return kind(value)
