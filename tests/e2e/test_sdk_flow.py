"""The generated Python client (``sdk/python``, ``make sdk``) against the native stack, through the gateway.

What a new user of the SDK writes: register, sign in, post, vote, list, refresh; every call is a
generated function named by its operation id (``auth-register`` is ``auth_register``), every answer
a generated model.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

import httpx
import pytest
from social_posts_client import AuthenticatedClient, Client
from social_posts_client.api.auth import auth_login, auth_me, auth_refresh, auth_register
from social_posts_client.api.posts import posts_create, posts_get, posts_list
from social_posts_client.api.votes import votes_cast, votes_get_mine
from social_posts_client.models import (
    LoginForm,
    PostCreate,
    PostPage,
    PostPublic,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserPublic,
    VoteState,
)

pytestmark = pytest.mark.e2e

#: Its own loopback address: auth limits sign-ups and sign-ins per address (see tests/e2e/conftest.py).
SOURCE_ADDRESS = "127.0.0.190"
PASSWORD = "correct horse battery staple"


def _httpx_args() -> dict[str, Any]:
    return {"transport": httpx.HTTPTransport(local_address=SOURCE_ADDRESS)}


def _signed_in(base_url: str, tokens: TokenPair) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=base_url, token=tokens.access_token, timeout=httpx.Timeout(10), httpx_args=_httpx_args()
    )


def test_register_sign_in_post_vote_list_and_refresh_through_the_generated_client(stack: Any) -> None:
    base_url = stack.config.gateway_url
    name = f"sdk_{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as clients:  # each generated client keeps its connections until closed
        anonymous = clients.enter_context(
            Client(base_url=base_url, timeout=httpx.Timeout(10), httpx_args=_httpx_args())
        )
        _flow(anonymous, clients, base_url, name)


def _flow(anonymous: Client, clients: contextlib.ExitStack, base_url: str, name: str) -> None:
    """Register, sign in, post, vote, list, refresh: the calls a client makes, as a user would."""
    registered = auth_register.sync_detailed(
        client=anonymous, body=UserCreate(email=f"{name}@example.com", username=name, password=PASSWORD)
    )
    assert registered.status_code == 201, registered.content
    assert isinstance(registered.parsed, UserPublic)
    assert registered.parsed.username == name

    tokens = auth_login.sync(client=anonymous, body=LoginForm(username=name, password=PASSWORD))
    assert isinstance(tokens, TokenPair), tokens
    client = clients.enter_context(_signed_in(base_url, tokens))
    me = auth_me.sync(client=client)
    assert isinstance(me, UserPublic)
    assert me.id == registered.parsed.id

    body = PostCreate(title="From the SDK", content="Hello")
    created = posts_create.sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    post = created.parsed
    assert isinstance(post, PostPublic)
    assert post.author.username == name

    cast = votes_cast.sync_detailed(post.id, client=client)
    assert cast.status_code == 201, cast.content
    assert isinstance(cast.parsed, VoteState)
    assert cast.parsed.changed is True
    mine = votes_get_mine.sync(post.id, client=client)
    assert isinstance(mine, VoteState)
    assert mine.voted is True

    # The vote count is a read model of the votes service: it converges within moments.
    deadline = time.monotonic() + 10
    listed: PostPublic | None = None
    while time.monotonic() < deadline:
        page = posts_list.sync(client=client, author=name, limit=10)
        assert isinstance(page, PostPage), page
        listed = next((item for item in page.items if item.id == post.id), None)
        if listed is not None and listed.vote_count == 1:
            break
        time.sleep(0.1)
    assert listed is not None
    assert listed.vote_count == 1

    refreshed = auth_refresh.sync(client=anonymous, body=RefreshRequest(refresh_token=tokens.refresh_token))
    assert isinstance(refreshed, TokenPair), refreshed
    assert refreshed.refresh_token != tokens.refresh_token
    assert refreshed.session_id == tokens.session_id
    again = posts_get.sync(post.id, client=clients.enter_context(_signed_in(base_url, refreshed)))
    assert isinstance(again, PostPublic)
    assert again.title == "From the SDK"
