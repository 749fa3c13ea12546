"""What posts' routes need, declared once as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.storage import ObjectStorage
from posts_service.cache import ResponseCache, changed_posts
from posts_service.settings import PostsSettings

__all__ = ["CacheDep", "SettingsDep", "StorageDep", "WriteSession"]


async def get_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """``SessionDep`` plus cache invalidation of the posts it changed, once (and only if) it committed.

    Invalidating before the commit would let a concurrent reader cache the old row again; invalidating
    here, before the response is sent, means the author's next read already misses the cache.
    """
    db: Database = request.app.state.db
    async with db.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    changed = changed_posts(session)
    if changed:
        cache: ResponseCache = request.app.state.posts_cache
        await cache.invalidate(changed)


def get_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.posts_cache
    return cache


def get_storage(request: Request) -> ObjectStorage:
    storage: ObjectStorage = request.app.state.storage
    return storage


def get_app_settings(request: Request) -> PostsSettings:
    settings: PostsSettings = request.app.state.settings
    return settings


WriteSession = Annotated[AsyncSession, Depends(get_write_session, scope="function")]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
SettingsDep = Annotated[PostsSettings, Depends(get_app_settings)]
