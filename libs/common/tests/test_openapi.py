"""Documented error answers and links: what ``common.openapi`` writes into a route's responses."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from common.errors import NotFound, TooManyRequests, install_error_handlers
from common.openapi import error_responses, link, problem_details, with_gateway_answers


def _app() -> FastAPI:
    router = APIRouter(prefix="/things", responses=error_responses(429))

    @router.get("/{thing_id}", responses=error_responses((404, "No such thing")))
    async def get_thing(thing_id: int) -> dict[str, int]:
        if thing_id == 0:
            raise NotFound("No such thing")
        if thing_id == 1:
            raise TooManyRequests("Slow down", retry_after=7)
        return {"id": thing_id}

    @router.post(
        "",
        status_code=201,
        responses={
            201: {
                "description": "Created",
                "links": {"Get": link("GET", "/things/{thing_id}", "Read it", thing_id="$response.body#/id")},
            }
        },
    )
    async def create_thing() -> dict[str, int]:
        return {"id": 2}

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    return app


def test_each_status_documents_the_problem_body_and_429_its_retry_after():
    document = problem_details(_app().openapi())
    responses = document["paths"]["/things/{thing_id}"]["get"]["responses"]
    assert responses["404"]["description"] == "No such thing"
    assert responses["404"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "Retry-After" in responses["429"]["headers"]
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail"]
    assert {"instance", "errors", "retry_after", "min_client_version"} <= set(problem["properties"])


def test_fastapis_own_validation_answer_is_documented_as_a_problem_too():
    document = problem_details(_app().openapi())
    validation = document["paths"]["/things/{thing_id}"]["get"]["responses"]["422"]
    assert validation["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert problem_details(document) == document  # twice is once


def test_a_documented_422_takes_a_message_or_a_list_of_problems():
    model = error_responses(422)[422]["model"]
    base = {"type": "tag:x", "title": "Validation Error", "status": 422}
    assert model.model_validate({**base, "detail": "no file"})
    assert model.model_validate(
        {**base, "detail": "x", "errors": [{"loc": ["body", "x"], "msg": "m", "type": "t"}]}
    )


async def test_the_documented_bodies_are_what_the_handlers_send():
    transport = httpx.ASGITransport(_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        missing = await client.get("/things/0")
        limited = await client.get("/things/1")
        invalid = await client.get("/things/x")
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "type": "tag:social-posts,2026:problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No such thing",
    }
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["retry_after"] == 7
    assert invalid.status_code == 422
    assert invalid.json()["type"].endswith("/validation-error")
    assert invalid.json()["detail"].startswith("Invalid request: path.thing_id: ")
    assert [e["loc"] for e in invalid.json()["errors"]] == [["path", "thing_id"]]


def test_a_link_points_at_its_operation_by_path_and_method():
    document = _app().openapi()
    created = document["paths"]["/things"]["post"]["responses"]["201"]
    assert created["links"]["Get"] == {
        "operationRef": "#/paths/~1things~1%7Bthing_id%7D/get",
        "description": "Read it",
        "parameters": {"thing_id": "$response.body#/id"},
    }


def test_the_gateways_own_answers_are_added_to_every_operation_without_overriding_a_routes_own():
    document = _app().openapi()
    paths = with_gateway_answers(document["paths"])
    for item in paths.values():
        for operation in item.values():
            assert "X-Min-Client-Version" in operation["responses"]["426"]["headers"]
            assert "X-Client-Version" in operation["responses"]["400"]["description"]
    own: dict[str, Any] = {
        "/x": {"get": {"responses": {"400": {"description": "Bad cursor"}}}, "parameters": []}
    }
    documented = with_gateway_answers(own)
    assert documented["/x"]["get"]["responses"]["400"] == {"description": "Bad cursor"}
    assert documented["/x"]["parameters"] == []
    assert "426" not in own["/x"]["get"]["responses"]  # the input is left as it was
