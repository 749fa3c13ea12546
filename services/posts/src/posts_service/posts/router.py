"""Posts' HTTP surface: thin endpoints over ``service`` (writes) and, through ``hotpath``, ``reads``
(the cached reads, answered as raw bytes)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from common import AdminUser, CurrentUser, OptionalUser, SessionDep
from common.openapi import error_responses, link
from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from posts_service import hotpath
from posts_service.dependencies import IdempotencyDep, WriteSession
from posts_service.posts import service
from posts_service.posts.cache import etag_of
from posts_service.posts.preconditions import IfMatchDep, post_etag
from posts_service.posts.responses import NO_STORE, no_store
from posts_service.posts.schemas import (
    MAX_PAGE_NUMBER,
    DeletedPostPage,
    PostCreate,
    PostPage,
    PostPublic,
    PostReplace,
    PostUpdate,
)
from posts_service.state import State

__all__ = ["internal_router", "router"]

#: Every route reads the bearer token if one is sent (an invalid one is a 401) and is rate limited.
router = APIRouter(prefix="/api/v1/posts", tags=["posts"], responses=error_responses(401, 429))
internal_router = APIRouter(prefix="/internal", include_in_schema=False)
NoStore = Depends(no_store)
_READ: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (the If-None-Match tag is current)"}
}
_NO_POST = (404, "No such post (or a draft of someone else, or deleted)")
#: JSON bodies: unparseable (400) or over the gateway's body limit (413).
_BODY = error_responses(400, 413)
#: ``If-Match`` answers of PUT, PATCH and DELETE (``preconditions``).
_CONDITIONAL = error_responses(
    (400, "A malformed If-Match (ETags in double quotes, or *), or a body that cannot be parsed"),
    (412, "The post changed since the ETag in If-Match was read: read it again"),
    (428, "This deployment requires If-Match (REQUIRE_IF_MATCH) and the request has none"),
)
_ETAG = {"ETag": {"description": "the post's new ETag, for the next If-Match", "schema": {"type": "string"}}}
_WRITE = {
    **_BODY,
    **error_responses((403, "Not the post's author"), _NO_POST),
    **_CONDITIONAL,
    200: {"description": "The changed post", "headers": _ETAG},
}
_ITEM = "/api/v1/posts/{post_id}"
_NEW_ID = "$response.body#/id"
#: What a client can do next with a post it just wrote (OpenAPI links; a stateful fuzzer follows them).
_CREATED_LINKS = {
    "GetPost": link("GET", _ITEM, "Read the new post", post_id=_NEW_ID),
    "ReplacePost": link("PUT", _ITEM, "Replace the new post", post_id=_NEW_ID),
    "PatchPost": link("PATCH", _ITEM, "Change the new post", post_id=_NEW_ID),
    "DeletePost": link("DELETE", _ITEM, "Delete the new post", post_id=_NEW_ID),
    "ListMedia": link("GET", f"{_ITEM}/media", "The new post's media", post_id=_NEW_ID),
    "UploadMedia": link("POST", f"{_ITEM}/media", "Attach an image to the new post", post_id=_NEW_ID),
}


#: What a request with an ``Idempotency-Key`` may answer besides the first one (``common.idempotency``).
IDEMPOTENT = error_responses(
    (400, "A malformed Idempotency-Key (or a body that cannot be parsed)"),
    (409, "A request with this Idempotency-Key is still running: retry later"),
    (422, "This Idempotency-Key was used for another request (or the body is invalid)"),
)
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "true when this is the first answer to the same Idempotency-Key, replayed",
        "schema": {"type": "string"},
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PostPublic,
    responses={
        201: {"description": "The post", "links": _CREATED_LINKS, "headers": _REPLAYED},
        **_BODY,
        **IDEMPOTENT,
        **error_responses((403, "This account was deleted")),
    },
)
async def create_post(
    data: PostCreate, user: CurrentUser, session: WriteSession, idempotency: IdempotencyDep
) -> Response:
    """Write a post. Send an ``Idempotency-Key`` to retry safely: it is created once."""
    request_body = data.__pydantic_serializer__.to_json(data)
    replay = await idempotency.begin(session, request_body)
    if replay is not None:
        return replay
    post = await service.create_post(session, user, data)
    response = Response(
        post.__pydantic_serializer__.to_json(post),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Location": f"{router.prefix}/{post.id}", "Cache-Control": NO_STORE},
    )
    return await idempotency.record(session, request_body, response)


@router.get(
    "",
    response_model=PostPage,
    responses={
        **_READ,
        **error_responses((400, "A bad cursor, or a bad combination of parameters"), 422),
    },
    openapi_extra=hotpath.FEED_PARAMETERS,
)
async def list_posts(
    request: Request, params: hotpath.FeedParamsDep, state: State, viewer: OptionalUser
) -> Response:
    """List posts: the feed (newest or top), one author's posts, or a full-text search; paginated."""
    return await hotpath.list_posts(request, params, state, viewer)  # raw bytes: see hotpath.py


@router.get(
    "/deleted",
    response_model=DeletedPostPage,
    dependencies=[NoStore],
    responses=error_responses((403, "Not an admin")),
)
async def list_deleted_posts(
    _: AdminUser,
    session: SessionDep,
    state: State,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> DeletedPostPage:
    """Admins: soft-deleted posts, most recently deleted first, with when each will be purged."""
    retention = timedelta(days=state.settings.post_retention_days)
    return await service.list_deleted(session, page=page, size=size, retention=retention)


@router.get(
    "/{post_id}",
    response_model=PostPublic,
    responses={
        200: {"description": "The post; its ETag is what If-Match takes", "headers": _ETAG},
        **_READ,
        **error_responses(_NO_POST),
    },
)
async def get_post(request: Request, post_id: uuid.UUID, state: State, viewer: OptionalUser) -> Response:
    """One post, with its author and vote count; its ETag names its content version (``If-Match``)."""
    return await hotpath.get_post(request, post_id, state, viewer)  # raw bytes: see hotpath.py


def _with_etag(post: PostPublic, response: Response) -> PostPublic:
    """The changed post, with the ETag a client sends in its next ``If-Match``."""
    body = post.__pydantic_serializer__.to_json(post)
    response.headers["ETag"] = post_etag(body, etag_of(body))
    return post


@router.put("/{post_id}", response_model=PostPublic, dependencies=[NoStore], responses=_WRITE)
async def replace_post(
    post_id: uuid.UUID,
    data: PostReplace,
    user: CurrentUser,
    session: WriteSession,
    if_match: IfMatchDep,
    response: Response,
) -> PostPublic:
    """Replace your post (every field); 404 if there is no such post (PUT never creates)."""
    post = await service.update_post(session, user, post_id, data.model_dump(), if_match)
    return _with_etag(post, response)


@router.patch("/{post_id}", response_model=PostPublic, dependencies=[NoStore], responses=_WRITE)
async def patch_post(
    post_id: uuid.UUID,
    data: PostUpdate,
    user: CurrentUser,
    session: WriteSession,
    if_match: IfMatchDep,
    response: Response,
) -> PostPublic:
    """Change some fields of your post."""
    post = await service.update_post(session, user, post_id, data.changes(), if_match)
    return _with_etag(post, response)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[NoStore],
    responses={
        204: {
            "description": "Deleted",
            "links": {
                "RestorePost": link(
                    "POST", f"{_ITEM}/restore", "Admins: restore it", post_id="$request.path.post_id"
                )
            },
        },
        **error_responses((403, "Neither the author nor an admin"), _NO_POST),
        **_CONDITIONAL,
    },
)
async def delete_post(
    post_id: uuid.UUID, user: CurrentUser, session: WriteSession, if_match: IfMatchDep
) -> None:
    """Delete your post (admins: any post). It can be restored by an admin until it is purged."""
    await service.delete_post(session, user, post_id, if_match)


@router.post(
    "/{post_id}/restore",
    response_model=PostPublic,
    dependencies=[NoStore],
    responses=error_responses(
        (403, "Not an admin"),
        (404, "No deleted post with this id (live, or already purged)"),
        (409, "The author's account was deleted, or is deactivated"),
    ),
)
async def restore_post(post_id: uuid.UUID, _: AdminUser, session: WriteSession) -> PostPublic:
    """Admins: bring back a soft-deleted post that has not been purged yet."""
    return await service.restore_post(session, post_id)


@internal_router.get("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def post_exists(post_id: uuid.UUID, session: SessionDep) -> None:
    """For the votes service: 204 if the post exists, is published and not deleted, else 404."""
    await service.get_visible_post(session, post_id, None)
