"""Media routes: upload and status under ``/api/v1/posts/{id}/media``, files under ``/api/v1/media``."""

from __future__ import annotations

import posixpath
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status

from common import CurrentUser, OptionalUser, SessionDep
from common.openapi import error_responses
from posts_service.dependencies import IdempotencyDep, WriteSession
from posts_service.media import service
from posts_service.media.schemas import MediaList, MediaPublic
from posts_service.media.upload import FIELD, read_image_upload
from posts_service.posts.cache import etag_of
from posts_service.posts.reads import PRIVATE
from posts_service.posts.responses import JSON, NO_STORE, conditional
from posts_service.state import State

__all__ = ["files_router", "router"]

router = APIRouter(prefix="/api/v1/posts", tags=["media"], responses=error_responses(401, 429))
files_router = APIRouter(prefix=service.MEDIA_URL_PREFIX, tags=["media"], responses=error_responses(401, 429))

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_UPLOAD_ERRORS = error_responses(
    (400, "a multipart body without a boundary, or one that cannot be parsed"),
    (403, "not the post's author"),
    (404, "no such post (or a draft of someone else)"),
    (409, "the post already has the most media items allowed"),
    (413, "the image is larger than MEDIA_MAX_BYTES (or the body than the gateway's 10 MiB)"),
    (415, "not multipart, or not a JPEG, PNG, WebP or GIF image"),
    (422, "no 'file' field, more than one, or an empty file"),
    (503, "the object storage is unavailable; retry"),
)
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (the If-None-Match tag is current)"}
}
#: Images are served with their own type only: no sniffing, no scripts, no embedding in pages.
_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-site",
}
#: The bytes of an image: declared, so that generated clients return them instead of dropping the answer.
_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
_TYPES = {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif"}


@router.post(
    "/{post_id}/media",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MediaPublic,
    openapi_extra=_UPLOAD_BODY,
    responses={
        **_UPLOAD_ERRORS,
        **error_responses(
            (400, "a malformed Idempotency-Key, or a multipart body that cannot be parsed"),
            (
                409,
                "the post already has the most media items allowed, or a request with this "
                "Idempotency-Key is still running",
            ),
            (
                422,
                "no 'file' field, more than one, an empty file, or an Idempotency-Key used for "
                "another request",
            ),
        ),
    },
)
async def upload_media(
    post_id: uuid.UUID,
    request: Request,
    user: CurrentUser,
    session: WriteSession,
    state: State,
    idempotency: IdempotencyDep,
) -> Response:
    """Attach an image (multipart field 'file') to your post; it is processed in the background.
    Send an ``Idempotency-Key`` to retry safely: the image is attached once."""
    if idempotency.key is None:
        # Refused before a slow client streams the body; with a key, a retry must be able to replay
        # its first answer even once the post is full, and ``attach`` checks all this again anyway.
        await service.check_attachable(session, user, post_id, state.settings.media_max_per_post)
        await session.rollback()  # hand the connection back while a slow client streams the body
    upload = await read_image_upload(
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        request.stream(),
        max_bytes=state.settings.media_max_bytes,
    )
    fingerprint = upload.fingerprint()
    replay = await idempotency.begin(session, fingerprint)
    if replay is not None:
        return replay
    media = await service.attach(
        session, state.storage, user, post_id, upload, max_per_post=state.settings.media_max_per_post
    )
    response = Response(
        media.__pydantic_serializer__.to_json(media),
        status_code=status.HTTP_202_ACCEPTED,
        media_type=JSON,
        headers={"Location": f"{router.prefix}/{post_id}/media/{media.id}", "Cache-Control": NO_STORE},
    )
    return await idempotency.record(session, fingerprint, response)


def _status_response(
    request: Request, viewer_signed_in: bool, model: MediaList | MediaPublic, max_age: int
) -> Response:
    body = model.__pydantic_serializer__.to_json(model)
    cache_control = PRIVATE if viewer_signed_in else f"public, max-age={max_age}"
    return conditional(request, body, etag=etag_of(body), cache_control=cache_control, media_type=JSON)


@router.get(
    "/{post_id}/media",
    response_model=MediaList,
    responses={**_NOT_MODIFIED, **error_responses((404, "No such post (or a draft of someone else)"))},
)
async def list_media(
    post_id: uuid.UUID, request: Request, session: SessionDep, viewer: OptionalUser, state: State
) -> Response:
    """A post's media with their processing status (others than the author see ready ones only)."""
    media = await service.list_media(session, post_id, viewer)
    return _status_response(request, viewer is not None, media, state.settings.public_max_age_seconds)


@router.get(
    "/{post_id}/media/{media_id}",
    response_model=MediaPublic,
    responses={**_NOT_MODIFIED, **error_responses((404, "No such post or media item (or not ready yet)"))},
)
async def get_media(
    post_id: uuid.UUID,
    media_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    viewer: OptionalUser,
    state: State,
) -> Response:
    """One media item: its status, and its URLs once ready."""
    media = await service.get_media(session, post_id, media_id, viewer)
    return _status_response(request, viewer is not None, media, state.settings.public_max_age_seconds)


@files_router.get(
    "/{media_id}/{name}",
    response_class=Response,
    responses={
        200: {"content": {t: _BINARY for t in sorted(set(_TYPES.values()))}, "description": "the image"},
        **_NOT_MODIFIED,
        **error_responses((404, "No such ready media item or file")),
    },
)
async def get_media_file(
    media_id: uuid.UUID,
    name: str,
    request: Request,
    session: SessionDep,
    state: State,
    viewer: OptionalUser,
) -> Response:
    """A processed image (thumbnail or original), as linked from a ready media item."""
    data, public = await service.open_file(session, state.storage, media_id, name, viewer)
    media_type = _TYPES.get(posixpath.splitext(name)[1].lower(), "application/octet-stream")
    visibility = "public" if public else "private"
    return conditional(
        request,
        data,
        etag=etag_of(data),
        cache_control=f"{visibility}, max-age={state.settings.media_max_age_seconds}",
        media_type=media_type,
        headers=_FILE_HEADERS,
    )
