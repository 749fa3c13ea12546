from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.media_public import MediaPublic
from ...models.media_upload_body import MediaUploadBody
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    post_id: UUID,
    *,
    body: MediaUploadBody,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/posts/{post_id}/media".format(
            post_id=quote(str(post_id), safe=""),
        ),
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> MediaPublic | Problem | None:
    if response.status_code == 202:
        response_202 = MediaPublic.from_dict(response.json())

        return response_202

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[MediaPublic | Problem]:
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
    body: MediaUploadBody,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[MediaPublic | Problem]:
    """Upload Media

     Attach an image (multipart field 'file') to your post; it is processed in the background.
    Send an ``Idempotency-Key`` to retry safely: the image is attached once.

    Args:
        post_id (UUID):
        idempotency_key (None | str | Unset): A unique key (a UUID) for this request: a retry with
            the same key and body replays the first answer (Idempotent-Replayed: true) instead of
            doing it again; kept 24 h (IDEMPOTENCY_KEY_TTL_SECONDS). 1-255 printable ASCII characters
            (400 otherwise)
        body (MediaUploadBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MediaPublic | Problem]
    """

    kwargs = _get_kwargs(
        post_id=post_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: MediaUploadBody,
    idempotency_key: None | str | Unset = UNSET,
) -> MediaPublic | Problem | None:
    """Upload Media

     Attach an image (multipart field 'file') to your post; it is processed in the background.
    Send an ``Idempotency-Key`` to retry safely: the image is attached once.

    Args:
        post_id (UUID):
        idempotency_key (None | str | Unset): A unique key (a UUID) for this request: a retry with
            the same key and body replays the first answer (Idempotent-Replayed: true) instead of
            doing it again; kept 24 h (IDEMPOTENCY_KEY_TTL_SECONDS). 1-255 printable ASCII characters
            (400 otherwise)
        body (MediaUploadBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MediaPublic | Problem
    """

    return sync_detailed(
        post_id=post_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: MediaUploadBody,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[MediaPublic | Problem]:
    """Upload Media

     Attach an image (multipart field 'file') to your post; it is processed in the background.
    Send an ``Idempotency-Key`` to retry safely: the image is attached once.

    Args:
        post_id (UUID):
        idempotency_key (None | str | Unset): A unique key (a UUID) for this request: a retry with
            the same key and body replays the first answer (Idempotent-Replayed: true) instead of
            doing it again; kept 24 h (IDEMPOTENCY_KEY_TTL_SECONDS). 1-255 printable ASCII characters
            (400 otherwise)
        body (MediaUploadBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MediaPublic | Problem]
    """

    kwargs = _get_kwargs(
        post_id=post_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    post_id: UUID,
    *,
    client: AuthenticatedClient,
    body: MediaUploadBody,
    idempotency_key: None | str | Unset = UNSET,
) -> MediaPublic | Problem | None:
    """Upload Media

     Attach an image (multipart field 'file') to your post; it is processed in the background.
    Send an ``Idempotency-Key`` to retry safely: the image is attached once.

    Args:
        post_id (UUID):
        idempotency_key (None | str | Unset): A unique key (a UUID) for this request: a retry with
            the same key and body replays the first answer (Idempotent-Replayed: true) instead of
            doing it again; kept 24 h (IDEMPOTENCY_KEY_TTL_SECONDS). 1-255 printable ASCII characters
            (400 otherwise)
        body (MediaUploadBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MediaPublic | Problem
    """

    return (
        await asyncio_detailed(
            post_id=post_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
