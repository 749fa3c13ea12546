"""Media rules: who may attach and see what, the upload's journey, and the worker's verdicts.

The upload is stored as ``media/<id>/upload.<ext>`` and announced with ``posts.media.uploaded`` (in the
same transaction as the row). The worker decodes it, writes ``media/<id>/thumbnail.webp`` and
``media/<id>/original.webp`` and answers with ``worker.media.processed`` or ``worker.media.failed``;
only those renditions are ever served, never the raw upload. Media follows its post's visibility;
people other than the author see only ready media.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common import Conflict, Forbidden, NotFound, Principal, ServiceUnavailable
from common.db import utcnow
from common.events import add_event
from common.events.schemas import MediaFailed, MediaProcessed, MediaUploaded
from common.storage import ObjectStorage
from posts_service.media import repository
from posts_service.media.models import Media, MediaStatus
from posts_service.media.schemas import MediaList, MediaPublic
from posts_service.media.upload import ImageUpload
from posts_service.posts import repository as posts_repository
from posts_service.posts.models import Post

__all__ = [
    "MEDIA_URL_PREFIX",
    "attach",
    "check_attachable",
    "get_media",
    "list_media",
    "mark_failed",
    "mark_processing",
    "mark_ready",
    "open_file",
]

log = logging.getLogger("posts_service.media")
MEDIA_URL_PREFIX = "/api/v1/media"
_FAILURE_REASON_MAX = 500


def _url(media: Media, key: str | None) -> str | None:
    return f"{MEDIA_URL_PREFIX}/{media.id}/{posixpath.basename(key)}" if key else None


def to_public(media: Media) -> MediaPublic:
    ready = media.status == MediaStatus.READY
    return MediaPublic(
        id=media.id,
        post_id=media.post_id,
        status=MediaStatus(media.status),
        content_type=media.content_type,
        size=media.size,
        width=media.width,
        height=media.height,
        failure_reason=media.failure_reason,
        thumbnail_url=_url(media, media.thumbnail_key) if ready else None,
        original_url=_url(media, media.original_key) if ready else None,
        created_at=media.created_at,
        updated_at=media.updated_at,
    )


def _can_see(post: Post, viewer: Principal | None) -> bool:
    return post.published or (viewer is not None and viewer.user_id == post.author_id)


async def _own_post(session: AsyncSession, user: Principal, post_id: uuid.UUID, *, lock: bool) -> Post:
    post = await posts_repository.lock_post(session, post_id) if lock else await _live_post(session, post_id)
    if post is None or not _can_see(post, user):
        raise NotFound("Post not found")
    if post.author_id != user.user_id:
        raise Forbidden("Only the author can attach media to this post")
    return post


async def _live_post(session: AsyncSession, post_id: uuid.UUID) -> Post | None:
    row = await posts_repository.get_post_row(session, post_id)
    return row.post if row else None


async def check_attachable(
    session: AsyncSession, user: Principal, post_id: uuid.UUID, max_per_post: int
) -> None:
    """Refuse early (before the body is read) what :func:`attach` would refuse anyway."""
    await _own_post(session, user, post_id, lock=False)
    if await repository.count_for_post(session, post_id) >= max_per_post:
        raise Conflict(f"A post can have at most {max_per_post} media items")


async def attach(
    session: AsyncSession,
    storage: ObjectStorage,
    user: Principal,
    post_id: uuid.UUID,
    upload: ImageUpload,
    *,
    max_per_post: int,
) -> MediaPublic:
    await _own_post(session, user, post_id, lock=True)  # the lock serialises the count below
    if await repository.count_for_post(session, post_id) >= max_per_post:
        raise Conflict(f"A post can have at most {max_per_post} media items")
    media_id = uuid.uuid4()
    key = f"media/{media_id}/upload.{upload.extension}"
    try:
        await storage.put(key, upload.data, upload.content_type)
    except Exception as exc:
        log.error("storing an upload failed", extra={"key": key, "error": repr(exc)[:300]})
        raise ServiceUnavailable("Could not store the file right now; try again shortly") from None
    try:
        return await _record(session, media_id, post_id, user, upload, key)
    except BaseException:
        with contextlib.suppress(Exception):  # nothing refers to the object; do not leave it behind
            await storage.delete(key)
        raise


async def _record(
    session: AsyncSession,
    media_id: uuid.UUID,
    post_id: uuid.UUID,
    owner: Principal,
    upload: ImageUpload,
    key: str,
) -> MediaPublic:
    size = len(upload.data)
    media = Media(
        id=media_id,
        post_id=post_id,
        owner_id=owner.user_id,
        content_type=upload.content_type,
        size=size,
        upload_key=key,
    )
    session.add(media)
    await session.flush()
    event = MediaUploaded(
        media_id=media_id,
        post_id=post_id,
        owner_id=owner.user_id,
        storage_key=key,
        content_type=upload.content_type,
        size=size,
    )
    await add_event(session, event)
    return to_public(media)


async def _visible_post(session: AsyncSession, post_id: uuid.UUID, viewer: Principal | None) -> Post:
    post = await _live_post(session, post_id)
    if post is None or not _can_see(post, viewer):
        raise NotFound("Post not found")
    return post


async def list_media(session: AsyncSession, post_id: uuid.UUID, viewer: Principal | None) -> MediaList:
    post = await _visible_post(session, post_id, viewer)
    is_author = viewer is not None and viewer.user_id == post.author_id
    items = await repository.list_for_post(session, post_id, only_ready=not is_author)
    return MediaList(items=[to_public(m) for m in items])


async def get_media(
    session: AsyncSession, post_id: uuid.UUID, media_id: uuid.UUID, viewer: Principal | None
) -> MediaPublic:
    post = await _visible_post(session, post_id, viewer)
    media = await repository.get_for_post(session, post_id, media_id)
    is_author = viewer is not None and viewer.user_id == post.author_id
    if media is None or (media.status != MediaStatus.READY and not is_author):
        raise NotFound("Media not found")
    return to_public(media)


async def open_file(
    session: AsyncSession, storage: ObjectStorage, media_id: uuid.UUID, name: str, viewer: Principal | None
) -> tuple[bytes, bool]:
    """The bytes of a ready rendition, and whether its post is public (so caches may share it)."""
    found = await repository.get_with_post(session, media_id)
    if found is None or not _can_see(found[1], viewer) or found[0].status != MediaStatus.READY:
        raise NotFound("Media not found")
    media, post = found
    names = {posixpath.basename(k): k for k in (media.thumbnail_key, media.original_key) if k}
    if name not in names:
        raise NotFound("Media not found")
    return await storage.get(names[name]), post.published


async def mark_processing(session: AsyncSession, media_id: uuid.UUID) -> None:
    """The worker started; only a pending upload moves (a late notice must not undo a verdict)."""
    media = await repository.lock(session, media_id)
    if media is None or media.status != MediaStatus.PENDING:
        return
    media.status, media.updated_at = MediaStatus.PROCESSING, utcnow()


def _check_key(media_id: uuid.UUID, key: str) -> str:
    if not key.startswith(f"media/{media_id}/") or "/" in key.removeprefix(f"media/{media_id}/"):
        raise ValueError(f"rendition key {key!r} is not under media/{media_id}/")
    return key


async def mark_ready(session: AsyncSession, data: MediaProcessed) -> None:
    media = await repository.lock(session, data.media_id)
    if media is None:  # purged with its post meanwhile
        return
    media.original_key = _check_key(media.id, data.original_key)
    media.thumbnail_key = _check_key(media.id, data.thumbnail_key)
    media.width, media.height = data.width, data.height
    media.status, media.failure_reason, media.updated_at = MediaStatus.READY, None, utcnow()


async def mark_failed(session: AsyncSession, data: MediaFailed) -> None:
    media = await repository.lock(session, data.media_id)
    if media is None or media.status == MediaStatus.READY:  # a success is never overturned
        return
    media.status, media.updated_at = MediaStatus.FAILED, utcnow()
    media.failure_reason = data.reason[:_FAILURE_REASON_MAX] or "processing failed"
