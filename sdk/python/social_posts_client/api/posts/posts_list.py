from http import HTTPStatus
from typing import Any, cast
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.post_page import PostPage
from ...models.posts_list_sort import PostsListSort
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    q: None | str | Unset = UNSET,
    author: None | str | Unset | UUID = UNSET,
    sort: None | PostsListSort | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    page: int | None | Unset = UNSET,
    size: int | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_q: None | str | Unset
    if isinstance(q, Unset):
        json_q = UNSET
    else:
        json_q = q
    params["q"] = json_q

    json_author: None | str | Unset
    if isinstance(author, Unset):
        json_author = UNSET
    elif isinstance(author, UUID):
        json_author = str(author)
    else:
        json_author = author
    params["author"] = json_author

    json_sort: None | str | Unset
    if isinstance(sort, Unset):
        json_sort = UNSET
    elif isinstance(sort, PostsListSort):
        json_sort = sort.value
    else:
        json_sort = sort
    params["sort"] = json_sort

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_page: int | None | Unset
    if isinstance(page, Unset):
        json_page = UNSET
    else:
        json_page = page
    params["page"] = json_page

    json_size: int | None | Unset
    if isinstance(size, Unset):
        json_size = UNSET
    else:
        json_size = size
    params["size"] = json_size

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/posts",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | PostPage | Problem | None:
    if response.status_code == 200:
        response_200 = PostPage.from_dict(response.json())

        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 426:
        response_426 = Problem.from_dict(response.json())

        return response_426

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | PostPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    q: None | str | Unset = UNSET,
    author: None | str | Unset | UUID = UNSET,
    sort: None | PostsListSort | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    page: int | None | Unset = UNSET,
    size: int | None | Unset = UNSET,
) -> Response[Any | PostPage | Problem]:
    """List Posts

     List posts: the feed (newest or top), one author's posts, or a full-text search; paginated.

    Args:
        q (None | str | Unset): full-text search in title and content (web-search syntax: quotes,
            or, -not)
        author (None | str | Unset | UUID): only this user's posts: their id (`author.id` of a
            post) or username
        sort (None | PostsListSort | Unset): new (default), top (most votes), relevance (default
            with q)
        limit (int | Unset): cursor mode page size Default: 20.
        cursor (None | str | Unset):
        page (int | None | Unset): page mode: 1-based page, at most 1000 (then go on with its
            next_cursor)
        size (int | None | Unset): page mode page size

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | PostPage | Problem]
    """

    kwargs = _get_kwargs(
        q=q,
        author=author,
        sort=sort,
        limit=limit,
        cursor=cursor,
        page=page,
        size=size,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    q: None | str | Unset = UNSET,
    author: None | str | Unset | UUID = UNSET,
    sort: None | PostsListSort | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    page: int | None | Unset = UNSET,
    size: int | None | Unset = UNSET,
) -> Any | PostPage | Problem | None:
    """List Posts

     List posts: the feed (newest or top), one author's posts, or a full-text search; paginated.

    Args:
        q (None | str | Unset): full-text search in title and content (web-search syntax: quotes,
            or, -not)
        author (None | str | Unset | UUID): only this user's posts: their id (`author.id` of a
            post) or username
        sort (None | PostsListSort | Unset): new (default), top (most votes), relevance (default
            with q)
        limit (int | Unset): cursor mode page size Default: 20.
        cursor (None | str | Unset):
        page (int | None | Unset): page mode: 1-based page, at most 1000 (then go on with its
            next_cursor)
        size (int | None | Unset): page mode page size

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | PostPage | Problem
    """

    return sync_detailed(
        client=client,
        q=q,
        author=author,
        sort=sort,
        limit=limit,
        cursor=cursor,
        page=page,
        size=size,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    q: None | str | Unset = UNSET,
    author: None | str | Unset | UUID = UNSET,
    sort: None | PostsListSort | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    page: int | None | Unset = UNSET,
    size: int | None | Unset = UNSET,
) -> Response[Any | PostPage | Problem]:
    """List Posts

     List posts: the feed (newest or top), one author's posts, or a full-text search; paginated.

    Args:
        q (None | str | Unset): full-text search in title and content (web-search syntax: quotes,
            or, -not)
        author (None | str | Unset | UUID): only this user's posts: their id (`author.id` of a
            post) or username
        sort (None | PostsListSort | Unset): new (default), top (most votes), relevance (default
            with q)
        limit (int | Unset): cursor mode page size Default: 20.
        cursor (None | str | Unset):
        page (int | None | Unset): page mode: 1-based page, at most 1000 (then go on with its
            next_cursor)
        size (int | None | Unset): page mode page size

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | PostPage | Problem]
    """

    kwargs = _get_kwargs(
        q=q,
        author=author,
        sort=sort,
        limit=limit,
        cursor=cursor,
        page=page,
        size=size,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    q: None | str | Unset = UNSET,
    author: None | str | Unset | UUID = UNSET,
    sort: None | PostsListSort | Unset = UNSET,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    page: int | None | Unset = UNSET,
    size: int | None | Unset = UNSET,
) -> Any | PostPage | Problem | None:
    """List Posts

     List posts: the feed (newest or top), one author's posts, or a full-text search; paginated.

    Args:
        q (None | str | Unset): full-text search in title and content (web-search syntax: quotes,
            or, -not)
        author (None | str | Unset | UUID): only this user's posts: their id (`author.id` of a
            post) or username
        sort (None | PostsListSort | Unset): new (default), top (most votes), relevance (default
            with q)
        limit (int | Unset): cursor mode page size Default: 20.
        cursor (None | str | Unset):
        page (int | None | Unset): page mode: 1-based page, at most 1000 (then go on with its
            next_cursor)
        size (int | None | Unset): page mode page size

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | PostPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            q=q,
            author=author,
            sort=sort,
            limit=limit,
            cursor=cursor,
            page=page,
            size=size,
        )
    ).parsed
