"""Posts' two measured exceptions to the house style, kept here in plain sight.

The house style (``docs/style.md``) lets FastAPI validate a route's query parameters and serialize the
model it returns through its ``response_model``. The post reads, the requests clients make most, do
neither, because each step costs a measurable share of the whole read (the figures below):

* **Raw bytes behind a declared response model** (:func:`list_posts`, and :func:`get_post` the same
  way). ``posts/reads.py`` renders a page or a post to JSON once and keeps the bytes in Redis; a hit
  answers those bytes as they are. The route still declares ``response_model`` (``PostPage``,
  ``PostPublic``) so OpenAPI and the generated clients describe the body; FastAPI never applies it,
  because the endpoint returns a ``Response``.
* **Hand-validated feed parameters with rebuilt OpenAPI entries** (:func:`feed_params`,
  :data:`FEED_PARAMETERS`). The listing's query is validated by pydantic directly against
  ``FeedParams``, and the route's OpenAPI parameters are rebuilt from that model's JSON schema
  (``openapi_extra``), because the dependency reads the query itself and FastAPI cannot see it.

What they are weighed against, from the bench: the anonymous feed on posts' own port served 1,657.7
req/s at 1.06 ms of CPU per request for the whole stack (``bench/results/2026-12-07-4cef8733.md``,
row ``feed | posts``), and "Direct reads are Redis hits that cost posts about 0.5 ms"
(``bench/README.md``, "Traefik at the edge (2026-12-01)"; the same read did 3,491.3 req/s there,
``bench/results/2026-12-01-7a7e19d6.md``). No bench run isolates either exception. Measured
in-process instead (2026-12-07, a two-core machine while other suites ran: the best of 40
interleaved rounds of 300 ASGI calls into a bare FastAPI 0.165 app, a 20-post page, no server and
no middleware), one request cost 45 µs the way it is done here; 200 µs with the page validated and
serialized through ``response_model`` (+0.16 ms, about a third of the 0.5 ms hit); 86 µs with
``Annotated[FeedParams, Query()]`` instead of :func:`feed_params` (+0.04 ms, under a tenth of it;
commit ``fb05202`` had found "more than half of a cached feed read" in a profile when it was written).

What they rely on is pinned by ``tests/test_hotpath.py``: every body these routes send validates
against the declared model and carries exactly its fields; the rebuilt parameters are what FastAPI
generates for ``Annotated[FeedParams, Query()]`` (the ``$ref`` inlined, and two named differences);
a bad value gets the same 422 problem, ``errors`` and all, as FastAPI's own validation gives.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from common import Principal
from posts_service.posts import reads
from posts_service.posts.feed import FeedQuery
from posts_service.posts.preconditions import post_etag
from posts_service.posts.responses import conditional
from posts_service.posts.schemas import FeedParams
from posts_service.settings import PostsSettings
from posts_service.state import PostsState

__all__ = ["FEED_PARAMETERS", "FeedParamsDep", "feed_params", "get_post", "list_posts", "openapi_parameters"]


# --- 1. raw bytes behind a declared response_model ------------------------------------------------


def _public_cache_control(settings: PostsSettings) -> str:
    return f"public, max-age={settings.public_max_age_seconds}"


async def list_posts(
    request: Request, params: FeedParams, state: PostsState, viewer: Principal | None
) -> Response:
    """The feed page as ``reads.read_feed`` rendered (and cached) it, or a 304: the declared
    ``PostPage`` is never applied to it."""
    settings = state.settings
    rendered = await reads.read_feed(
        state.db,
        state.cache,
        FeedQuery.from_params(params),
        viewer,
        public_cache_control=_public_cache_control(settings),
        cached_pages=settings.cache_feed_pages,
        exact_count_limit=settings.feed_exact_count_limit,
    )
    return conditional(request, rendered.body, etag=rendered.etag, cache_control=rendered.cache_control)


async def get_post(
    request: Request, post_id: uuid.UUID, state: PostsState, viewer: Principal | None
) -> Response:
    """One post as ``reads.read_post`` rendered (and cached) it, with the ETag ``If-Match`` takes, or a
    304: the declared ``PostPublic`` is never applied to it."""
    rendered = await reads.read_post(
        state.db, state.cache, post_id, viewer, public_cache_control=_public_cache_control(state.settings)
    )
    etag = post_etag(rendered.body, rendered.etag)
    return conditional(request, rendered.body, etag=etag, cache_control=rendered.cache_control)


# --- 2. hand-validated feed parameters with rebuilt OpenAPI entries -------------------------------


async def feed_params(request: Request) -> FeedParams:
    """The listing's query, validated by pydantic directly; a bad value is the same 422 as FastAPI's
    (its ``RequestValidationError``, each error's ``loc`` under ``query``)."""
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


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, object]]:
    """The OpenAPI query parameters FastAPI would list for ``Annotated[model, Query()]`` (every field
    optional), built from the model's JSON schema."""
    schema = model.model_json_schema()
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


#: ``openapi_extra`` of the listing route, so the docs show the parameters :func:`feed_params` reads.
FEED_PARAMETERS: dict[str, object] = {"parameters": openapi_parameters(FeedParams)}

FeedParamsDep = Annotated[FeedParams, Depends(feed_params)]
