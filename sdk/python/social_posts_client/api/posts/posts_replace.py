from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.post_public import PostPublic
from ...models.post_replace import PostReplace
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    post_id: UUID,
    *,
    body: PostReplace,
    if_match: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["if-match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/v1/posts/{post_id}".format(
            post_id=quote(str(post_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PostPublic | Problem | None:
    if response.status_code == 200:
        response_200 = PostPublic.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 426:
        response_426 = Problem.from_dict(response.json())

        return response_426

    if response.status_code == 428:
        response_428 = Problem.from_dict(response.json())

        return response_428

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PostPublic | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: PostReplace,
    if_match: None | str | Unset = UNSET,
) -> Response[PostPublic | Problem]:
    """Replace Post

     Replace your post (every field); 404 if there is no such post (PUT never creates).

    Args:
        post_id (UUID):
        if_match (None | str | Unset): The ETag you read (GET): the change is refused (412) if the
            post changed since; "*" accepts any version. Required (428 without it) when the deployment
            sets REQUIRE_IF_MATCH.
        body (PostReplace): ``PUT``: every field, as the post should be afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PostPublic | Problem]
    """

    kwargs = _get_kwargs(
        post_id=post_id,
        body=body,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: PostReplace,
    if_match: None | str | Unset = UNSET,
) -> PostPublic | Problem | None:
    """Replace Post

     Replace your post (every field); 404 if there is no such post (PUT never creates).

    Args:
        post_id (UUID):
        if_match (None | str | Unset): The ETag you read (GET): the change is refused (412) if the
            post changed since; "*" accepts any version. Required (428 without it) when the deployment
            sets REQUIRE_IF_MATCH.
        body (PostReplace): ``PUT``: every field, as the post should be afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PostPublic | Problem
    """

    return sync_detailed(
        post_id=post_id,
        client=client,
        body=body,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: PostReplace,
    if_match: None | str | Unset = UNSET,
) -> Response[PostPublic | Problem]:
    """Replace Post

     Replace your post (every field); 404 if there is no such post (PUT never creates).

    Args:
        post_id (UUID):
        if_match (None | str | Unset): The ETag you read (GET): the change is refused (412) if the
            post changed since; "*" accepts any version. Required (428 without it) when the deployment
            sets REQUIRE_IF_MATCH.
        body (PostReplace): ``PUT``: every field, as the post should be afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PostPublic | Problem]
    """

    kwargs = _get_kwargs(
        post_id=post_id,
        body=body,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: PostReplace,
    if_match: None | str | Unset = UNSET,
) -> PostPublic | Problem | None:
    """Replace Post

     Replace your post (every field); 404 if there is no such post (PUT never creates).

    Args:
        post_id (UUID):
        if_match (None | str | Unset): The ETag you read (GET): the change is refused (412) if the
            post changed since; "*" accepts any version. Required (428 without it) when the deployment
            sets REQUIRE_IF_MATCH.
        body (PostReplace): ``PUT``: every field, as the post should be afterwards.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PostPublic | Problem
    """

    return (
        await asyncio_detailed(
            post_id=post_id,
            client=client,
            body=body,
            if_match=if_match,
        )
    ).parsed
