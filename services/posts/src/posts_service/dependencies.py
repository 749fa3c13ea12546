"""What posts' routes need, declared once as ``Annotated`` aliases.

Every dependency is ``async def`` even when it does not await: FastAPI runs a plain ``def``
dependency in the thread pool, and that hop cost more than the whole cached feed read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from common import CurrentUser, OptionalUser
from common.db import Database, unit_of_work
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.storage import ObjectStorage
from posts_service.posts.cache import ResponseCache, changed_posts
from posts_service.posts.models import Post
from posts_service.posts.schemas import FeedParams
from posts_service.settings import PostsSettings

__all__ = [
    "FEED_PARAMETERS",
    "CacheDep",
    "DatabaseDep",
    "FeedParamsDep",
    "IdempotencyDep",
    "SettingsDep",
    "StorageDep",
    "WriteSession",
]


async def get_write_session(request: Request, writer: OptionalUser) -> AsyncIterator[AsyncSession]:
    """``SessionDep`` plus, once (and only if) it committed, the cache's part of the write: the
    changed posts' entries go, and the writer and the changed posts' authors are marked as having
    written (their next feed read comes from the database: read-your-writes, ``cache.py``).

    Invalidating before the commit would let a concurrent reader cache the old row again; doing it
    here, before the response is sent, means the writer's next read already sees the write.
    """
    async with unit_of_work(request.app.state.db) as session:
        yield session
    changed = changed_posts(session)
    if changed:
        # the posts this session loaded (no query): an admin's change shows to the author at once too
        loaded = session.identity_map.values()
        writers = {obj.author_id for obj in loaded if isinstance(obj, Post) and obj.id in changed}
        if writer is not None:
            writers.add(writer.user_id)
        cache: ResponseCache = request.app.state.posts_cache
        await cache.invalidate(changed, writers)


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.posts_cache
    return cache


async def get_storage(request: Request) -> ObjectStorage:
    storage: ObjectStorage = request.app.state.storage
    return storage


async def get_app_settings(request: Request) -> PostsSettings:
    settings: PostsSettings = request.app.state.settings
    return settings


async def get_feed_params(request: Request) -> FeedParams:
    """The listing's query, validated by pydantic directly.

    FastAPI's query-parameter models re-inspect every field's annotation on each request, which cost
    more than half of a cached feed read; the OpenAPI entries come from :data:`FEED_PARAMETERS`.
    """
    try:
        return FeedParams.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/X"}`` replaced by X: a parameter cannot point into a
    model's private ``$defs`` (OpenAPI tools cannot resolve that; it is not in ``components``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def _openapi_parameters() -> list[dict[str, object]]:
    schema = FeedParams.model_json_schema()
    schema = _inline_refs({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": prop,
            "description": prop.get("description", ""),
        }
        for name, prop in schema["properties"].items()
    ]


#: ``openapi_extra`` of the listing route, so the docs show the parameters the dependency reads.
FEED_PARAMETERS: dict[str, object] = {"parameters": _openapi_parameters()}

WriteSession = Annotated[AsyncSession, Depends(get_write_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
SettingsDep = Annotated[PostsSettings, Depends(get_app_settings)]
FeedParamsDep = Annotated[FeedParams, Depends(get_feed_params)]


async def get_idempotency(
    request: Request, user: CurrentUser, idempotency_key: IdempotencyKeyHeader = None
) -> Idempotency:
    """The request's ``Idempotency-Key``, scoped to the signed-in user (``common.idempotency``)."""
    settings: PostsSettings = request.app.state.settings
    return Idempotency.of(
        request,
        idempotency_key,
        scope=f"user:{user.user_id}",
        ttl_seconds=settings.idempotency_key_ttl_seconds,
        secret=b"posts",  # post bodies hold no secret: the HMAC is only a hash here
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
