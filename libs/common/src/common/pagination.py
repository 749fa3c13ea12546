"""Opaque keyset cursors and page-size limits shared by every list endpoint."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Mapped

from common.errors import BadRequest

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "decode_cursor", "encode_cursor", "newest_first"]

Stmt = TypeVar("Stmt", bound=Select[Any])

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_CURSOR_LENGTH = 512


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The values inside ``cursor``; a clear 400 for anything a client did not get from us."""
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise BadRequest("Invalid cursor: too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        raise BadRequest("Invalid cursor: pass back the next_cursor value of a previous page") from None
    if not isinstance(values, list) or len(values) != arity:
        raise BadRequest("Invalid cursor: pass back the next_cursor value of a previous page")
    return values


def newest_first(
    stmt: Stmt,
    created_at: Mapped[Any],
    tiebreak: Mapped[Any],
    *,
    after: tuple[Any, Any] | None,
    limit: int,
) -> Stmt:
    """``stmt`` newest first, keyset-paged on ``(created_at, tiebreak)``: after the row ``after``
    names (the last of the previous page), so pages never skip or repeat a row."""
    if after is not None:
        last_created_at, last_tiebreak = after
        stmt = stmt.where(
            or_(created_at < last_created_at, and_(created_at == last_created_at, tiebreak < last_tiebreak))
        )
    return stmt.order_by(created_at.desc(), tiebreak.desc()).limit(limit)
