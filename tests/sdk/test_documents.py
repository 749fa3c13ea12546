"""What the SDKs are generated from: operation ids a client reads well, and every answer typed.

Offline: the documents are built from the apps (``deploy.sdk.documents``), no service started.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from common.openapi import operation_id
from deploy import sdk

OPERATION_ID = re.compile(r"^[a-z]+-[a-z0-9-]+$")


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation


@pytest.fixture(scope="module")
def whole_documents() -> dict[str, dict[str, Any]]:
    """Every service's whole document (the worker's too, though the gateway routes none of it)."""
    from auth_service.main import create_app as auth_app
    from auth_service.settings import AuthSettings
    from posts_service.main import create_app as posts_app
    from votes_service.main import create_app as votes_app
    from worker_service.main import create_app as worker_app

    with tempfile.TemporaryDirectory() as keys:
        auth = auth_app(AuthSettings(environment="development", jwt_private_keys_dir=keys))
        return {
            "auth": auth.openapi(),
            "posts": posts_app().openapi(),
            "votes": votes_app().openapi(),
            "worker": worker_app().openapi(),
        }


def test_every_operation_id_is_tag_dash_name_and_unique_across_services(
    whole_documents: dict[str, dict[str, Any]],
) -> None:
    seen: dict[str, str] = {}
    for service, document in whole_documents.items():
        for label, operation in _operations(document):
            identifier = operation["operationId"]
            assert OPERATION_ID.match(identifier), f"{service} {label}: {identifier}"
            assert identifier.split("-", 1)[0] == operation["tags"][0], f"{service} {label}: {identifier}"
            assert identifier not in seen, f"{identifier}: {seen.get(identifier)} and {service} {label}"
            seen[identifier] = f"{service} {label}"
    # The names a client calls, for a few of them.
    assert seen["posts-create"] == "posts POST /api/v1/posts"
    assert seen["posts-list"] == "posts GET /api/v1/posts"
    assert seen["auth-login"] == "auth POST /api/v1/auth/login"
    assert seen["votes-cast"] == "votes PUT /api/v1/votes/{post_id}"
    assert seen["media-get-file"] == "posts GET /api/v1/media/{media_id}/{name}"


def test_an_operation_named_only_by_its_tag_is_refused_when_the_document_is_built() -> None:
    router = APIRouter(prefix="/api/v1/votes", tags=["votes"])

    @router.put("/{post_id}")
    async def vote(post_id: int) -> None:
        """No name but the tag's."""

    app = FastAPI(generate_unique_id_function=operation_id)
    app.include_router(router)
    with pytest.raises(ValueError, match="gives no operation id"):
        app.openapi()


def test_every_answer_with_a_body_declares_its_schema(whole_documents: dict[str, dict[str, Any]]) -> None:
    """A media type without a schema is dropped by generators ("Unsupported content_type image/webp")."""
    for service, document in whole_documents.items():
        for label, operation in _operations(document):
            for status, response in operation["responses"].items():
                for media_type, content in response.get("content", {}).items():
                    assert "schema" in content, f"{service} {label} {status} {media_type}"
    media = whole_documents["posts"]["paths"]["/api/v1/media/{media_id}/{name}"]["get"]
    content = media["responses"]["200"]["content"]
    assert set(content) == {"image/gif", "image/jpeg", "image/png", "image/webp"}
    for declared in content.values():
        assert declared["schema"] == {"type": "string", "format": "binary"}


def test_the_merged_document_has_every_routed_operation_once() -> None:
    documents = sdk.documents()
    merged = sdk.merge(documents)
    routed = {label for document in documents.values() for label, _ in _operations(document)}
    assert {label for label, _ in _operations(merged)} == routed
    assert not any(label.split()[1].startswith("/internal/") for label in routed)
    assert {"auth-register", "posts-create", "votes-cast"} <= {
        operation["operationId"] for _, operation in _operations(merged)
    }


def test_a_component_two_services_define_differently_is_renamed_in_the_second() -> None:
    one = {"paths": {}, "components": {"schemas": {"Page": {"type": "object"}}}}
    two = {
        "paths": {"/b": {"get": {"responses": {"200": {"$ref": "#/components/schemas/Page"}}}}},
        "components": {"schemas": {"Page": {"type": "array"}}},
    }
    merged = sdk.merge({"one": one, "two": two})
    assert merged["components"]["schemas"] == {"Page": {"type": "object"}, "two.Page": {"type": "array"}}
    assert merged["paths"]["/b"]["get"]["responses"]["200"]["$ref"] == "#/components/schemas/two.Page"
    assert merged["paths"]["/b"]["get"]["tags"] == ["two"]


def test_the_committed_merged_document_is_what_the_apps_describe() -> None:
    import json

    committed = json.loads(Path(sdk.SDK_DIR / "openapi.json").read_text())
    assert committed == sdk.merged_document(), "run `make sdk` and commit sdk/"
