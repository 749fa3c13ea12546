"""What ``posts_service.hotpath``'s two exceptions rely on, pinned.

1. The post reads answer cached bytes behind a declared ``response_model`` that FastAPI never applies:
   every body they send must be that model, exactly (no field missing, none extra).
2. The feed's parameters are validated by pydantic directly and their OpenAPI entries are rebuilt:
   the entries must be what FastAPI generates for ``Annotated[FeedParams, Query()]``, and a value
   must get the answer FastAPI's own validation gives (the same parsed query, the same 422 problem).
   If FastAPI changes either, these fail, and ``hotpath.py`` follows (or goes).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from common.errors import install_error_handlers
from common.recent_votes import RecentVote, record_votes
from common_testing import TokenFactory
from posts_service import hotpath
from posts_service.posts.schemas import FeedParams, PostPage, PostPublic
from posts_service.state import state_of

POSTS = "/api/v1/posts"
NewPost = Callable[..., Awaitable[dict[str, Any]]]


def _exactly(model: type[BaseModel], response: httpx.Response) -> None:
    """The body is a valid ``model`` and holds exactly its fields, as a response_model would send it."""
    assert response.status_code == 200, response.text
    parsed = model.model_validate_json(response.content)
    assert parsed.model_dump(mode="json") == response.json()


async def test_the_declared_response_models_are_what_the_reads_send(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, name in ((POSTS, "PostPage"), (POSTS + "/{post_id}", "PostPublic")):
        ok = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/{name}"}, path


async def test_every_feed_body_is_exactly_a_post_page(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post: NewPost
) -> None:
    alice_user, alice = tokens.user()
    _, bob = tokens.user()
    post = await new_post(alice, title="the hot path", content="raw bytes")
    await new_post(alice, title="a draft", published=False)
    await new_post(bob)
    reads: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({}, {}),  # anonymous: built, then answered from the shared cache
        ({}, {}),
        ({"page": 1, "size": 2}, {}),  # page mode: total, page, size
        ({"limit": 1}, {}),  # a next_cursor
        ({"q": "hot"}, {}),  # a search: the database, relevance order
        ({}, alice),  # the author's own page, with her draft
        ({}, bob),
        ({"author": str(uuid.uuid4())}, {}),  # nothing: an empty page
    ]
    for params, headers in reads:
        _exactly(PostPage, await client.get(POSTS, params=params, headers=headers))
    # the reader's own newer vote count is written into the cached bytes (reads._overlay)
    redis = state_of(app).cache.redis
    await record_votes(redis, alice_user.user_id, {uuid.UUID(post["id"]): RecentVote(3, 7)})
    overlaid = await client.get(POSTS, headers=alice)
    _exactly(PostPage, overlaid)
    assert 3 in [item["vote_count"] for item in overlaid.json()["items"]]


async def test_every_post_body_is_exactly_a_post_public(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post: NewPost
) -> None:
    alice_user, alice = tokens.user()
    post = await new_post(alice)
    draft = await new_post(alice, published=False)
    for path, headers in (
        (post["id"], {}),  # built and cached
        (post["id"], {}),  # from the cache
        (post["id"], alice),
        (draft["id"], alice),  # a draft: never cached
    ):
        _exactly(PostPublic, await client.get(f"{POSTS}/{path}", headers=headers))
    redis = state_of(app).cache.redis
    await record_votes(redis, alice_user.user_id, {uuid.UUID(post["id"]): RecentVote(2, 5)})
    overlaid = await client.get(f"{POSTS}/{post['id']}", headers=alice)
    _exactly(PostPublic, overlaid)
    assert overlaid.json()["vote_count"] == 2


def _fastapi_feed() -> FastAPI:
    """The listing as the house style would write it: FastAPI's own query-parameter model."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/feed")
    async def feed(params: Annotated[FeedParams, Query()]) -> dict[str, Any]:
        return params.model_dump(mode="json")

    return app


def _hotpath_feed() -> FastAPI:
    """The same listing through ``hotpath.feed_params``, for the answers to valid values."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/feed")
    async def feed(params: Annotated[FeedParams, Depends(hotpath.feed_params)]) -> dict[str, Any]:
        return params.model_dump(mode="json")

    return app


def _inline_components(node: Any, components: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _inline_components(components[ref.removeprefix("#/components/schemas/")], components)
        return {key: _inline_components(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_components(item, components) for item in node]
    return node


async def test_the_rebuilt_parameters_are_what_fastapi_generates(client: httpx.AsyncClient) -> None:
    ours = (await client.get("/openapi.json")).json()["paths"][POSTS]["get"]["parameters"]
    document = _fastapi_feed().openapi()
    components = document.get("components", {}).get("schemas", {})
    theirs = _inline_components(document["paths"]["/feed"]["get"]["parameters"], components)
    # Where the rebuilt entries knowingly differ, and why that is harmless:
    by_name = {p["name"]: p for p in theirs}
    # FastAPI adds the field's title beside a $ref; pydantic's model schema has none there (the
    # inlined enum keeps its own title "Sort").
    assert by_name["sort"]["schema"].pop("title") == "Sort"
    # a field without a description is rebuilt with an empty one; FastAPI leaves the key out.
    assert "description" not in by_name["cursor"]
    by_name["cursor"]["description"] = ""
    assert ours == theirs


#: Values FastAPI's validation refuses, one or more problems each.
BAD = [
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "ten"},
    {"sort": "sideways"},
    {"page": "two"},
    {"page": "0", "size": "1000"},
    {"q": "a\x00b"},
    {"q": "x" * 201},
    {"author": "[deleted]"},
    {"cursor": "c" * 513},
]

#: Values it takes, and what they parse to (a repeated name included).
GOOD: list[Any] = [
    {},
    {"q": "hot path", "sort": "top", "limit": "5"},
    {"page": "2", "size": "3", "author": "alice_1"},
    {"author": str(uuid.UUID(int=1)), "cursor": "abc"},
    {"unknown": "ignored", "limit": "7"},
    [("limit", "3"), ("limit", "4")],
]


@pytest.mark.parametrize("params", BAD, ids=lambda p: ",".join(p))
async def test_a_bad_value_gets_fastapis_own_problem(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    ours = await client.get(POSTS, params=params)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(_fastapi_feed()), base_url="http://fastapi"
    ) as fastapi_client:
        theirs = await fastapi_client.get("/feed", params=params)
    assert (ours.status_code, theirs.status_code) == (422, 422)
    assert ours.headers["content-type"] == theirs.headers["content-type"] == "application/problem+json"
    body, expected = ours.json(), theirs.json()
    body.pop("instance")
    expected.pop("instance", None)
    assert body == expected
    assert body["errors"]
    assert all(error["loc"][0] == "query" for error in body["errors"])


async def test_a_good_value_parses_as_fastapi_would() -> None:
    fastapi_transport = httpx.ASGITransport(_fastapi_feed())
    hotpath_transport = httpx.ASGITransport(_hotpath_feed())
    async with (
        httpx.AsyncClient(transport=fastapi_transport, base_url="http://f") as fastapi_client,
        httpx.AsyncClient(transport=hotpath_transport, base_url="http://h") as hotpath_client,
    ):
        for params in GOOD:
            theirs = await fastapi_client.get("/feed", params=params)
            ours = await hotpath_client.get("/feed", params=params)
            assert theirs.status_code == ours.status_code == 200, params
            assert ours.json() == theirs.json(), params
