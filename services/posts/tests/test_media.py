"""Media: the upload's cheap checks, nothing stored for refused files, and the worker's verdicts."""

from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.events.schemas import MediaFailed, MediaProcessed, MediaProcessingStarted
from common.storage import ObjectStorage
from common_testing import TokenFactory, eventually
from posts_service.state import state_of

POSTS = "/api/v1/posts"
MEDIA_MAX_BYTES = 64 * 1024  # as set in conftest (checked by test_exactly_the_limit_is_accepted)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, minimal PNG (what a client would upload)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def _upload(
    client: httpx.AsyncClient,
    post_id: str,
    auth: dict[str, str],
    data: bytes,
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.post(
        f"{POSTS}/{post_id}/media", files={"file": ("picture.png", data, content_type)}, headers=auth
    )


def _stored_files(media_dir: Path) -> list[Path]:
    return [p for p in media_dir.rglob("*") if p.is_file()]


async def _assert_nothing_stored(media_dir: Path, sql) -> None:
    assert _stored_files(media_dir) == []
    assert await sql("SELECT id FROM media") == []
    assert await sql("SELECT id FROM outbox WHERE type = 'posts.media.uploaded'") == []


async def test_a_valid_png_is_accepted_pending_and_announced(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql, media_dir: Path
):
    user, alice = tokens.user()
    post = await new_post(alice)
    response = await _upload(client, post["id"], alice, png_bytes())
    assert response.status_code == 202, response.text
    media = response.json()
    assert (media["status"], media["post_id"], media["content_type"]) == ("pending", post["id"], "image/png")
    assert media["size"] == len(png_bytes())
    assert (media["thumbnail_url"], media["original_url"]) == (None, None)
    assert response.headers["location"] == f"{POSTS}/{post['id']}/media/{media['id']}"
    [(envelope,)] = await sql("SELECT envelope FROM outbox WHERE type = 'posts.media.uploaded'")
    assert envelope["data"]["media_id"] == media["id"]
    assert envelope["data"]["owner_id"] == str(user.user_id)
    key = envelope["data"]["storage_key"]
    assert key == f"media/{media['id']}/upload.png"
    assert (media_dir / key).read_bytes() == png_bytes()


@pytest.mark.parametrize(
    ("data", "content_type", "status", "message"),
    [
        (b"plain text, not an image", "text/plain", 415, "sent as text/plain"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", 415, "sent as image/svg+xml"),
        (b"MZ\x90\x00 an executable", "image/png", 415, "content is not a"),
        (b"\xff\xd8\xff\xe0 jpeg bytes", "image/png", 415, "content is image/jpeg"),
        (b"", "image/png", 422, "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MEDIA_MAX_BYTES, "image/png", 413, "limit"),
    ],
)
async def test_refused_files_get_a_clear_4xx_and_nothing_is_stored(
    client: httpx.AsyncClient,
    tokens: TokenFactory,
    new_post,
    sql,
    media_dir: Path,
    data,
    content_type,
    status,
    message,
):
    _, alice = tokens.user()
    post = await new_post(alice)
    response = await _upload(client, post["id"], alice, data, content_type)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    await _assert_nothing_stored(media_dir, sql)


async def test_exactly_the_limit_is_accepted(app, client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    assert state_of(app).settings.media_max_bytes == MEDIA_MAX_BYTES
    _, alice = tokens.user()
    post = await new_post(alice)
    data = png_bytes() + b"\x00" * (MEDIA_MAX_BYTES - len(png_bytes()))
    assert (await _upload(client, post["id"], alice, data)).status_code == 202


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\xff\xd8\xff\xdb", "image/jpg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
)
async def test_every_accepted_type_passes_the_sniff(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, head, content_type
):
    _, alice = tokens.user()
    post = await new_post(alice)
    response = await _upload(client, post["id"], alice, head + b"\x00" * 32, content_type)
    assert response.status_code == 202, response.text


async def test_malformed_requests_are_refused(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql, media_dir: Path
):
    _, alice = tokens.user()
    post = await new_post(alice)
    url = f"{POSTS}/{post['id']}/media"
    raw = await client.post(url, content=png_bytes(), headers={**alice, "Content-Type": "image/png"})
    assert raw.status_code == 415
    assert "multipart/form-data" in raw.json()["detail"]
    wrong_field = await client.post(url, files={"image": ("a.png", png_bytes(), "image/png")}, headers=alice)
    assert wrong_field.status_code == 422
    assert "'file'" in wrong_field.json()["detail"]
    two = await client.post(
        url,
        files=[("file", ("a.png", png_bytes(), "image/png")), ("file", ("b.png", png_bytes(), "image/png"))],
        headers=alice,
    )
    assert two.status_code == 422
    no_boundary = await client.post(
        url, content=b"x", headers={**alice, "Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400
    huge = await client.post(
        url,
        content=b"x",
        headers={**alice, "Content-Type": "multipart/form-data; boundary=b", "Content-Length": "99999999"},
    )
    assert huge.status_code == 413
    await _assert_nothing_stored(media_dir, sql)


async def test_only_the_author_uploads(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql, media_dir
):
    _, alice = tokens.user()
    _, bob = tokens.user()
    post = await new_post(alice)
    draft = await new_post(alice, published=False)
    assert (await _upload(client, post["id"], {}, png_bytes())).status_code == 401
    forbidden = await _upload(client, post["id"], bob, png_bytes())
    assert forbidden.status_code == 403
    assert (await _upload(client, draft["id"], bob, png_bytes())).status_code == 404
    assert (await _upload(client, str(uuid.uuid4()), alice, png_bytes())).status_code == 404
    await _assert_nothing_stored(media_dir, sql)


async def test_media_per_post_is_capped(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    post = await new_post(alice)
    for _ in range(3):  # MEDIA_MAX_PER_POST in the test settings
        assert (await _upload(client, post["id"], alice, png_bytes())).status_code == 202
    over = await _upload(client, post["id"], alice, png_bytes())
    assert over.status_code == 409
    assert "at most 3" in over.json()["detail"]


async def _uploaded(
    client: httpx.AsyncClient, auth: dict[str, str], new_post, **post_fields: Any
) -> dict[str, Any]:
    post = await new_post(auth, **post_fields)
    media: dict[str, Any] = (await _upload(client, post["id"], auth, png_bytes())).json()
    return media


async def _status(client: httpx.AsyncClient, media: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{POSTS}/{media['post_id']}/media/{media['id']}", headers=auth)
    body: dict[str, Any] = response.json()
    return body


async def _process(app, media: dict[str, Any], emit) -> dict[str, str]:
    """Do what the worker does: write the renditions, then announce them."""
    storage: ObjectStorage = state_of(app).storage
    keys = {
        "thumbnail": f"media/{media['id']}/thumbnail.webp",
        "original": f"media/{media['id']}/original.webp",
    }
    await storage.put(keys["thumbnail"], b"RIFF\x00\x00\x00\x00WEBPthumb", "image/webp")
    await storage.put(keys["original"], b"RIFF\x00\x00\x00\x00WEBPoriginal", "image/webp")
    event = MediaProcessed(
        media_id=media["id"],
        post_id=media["post_id"],
        width=2,
        height=2,
        size=20,
        sha256="0" * 64,
        original_key=keys["original"],
        thumbnail_key=keys["thumbnail"],
    )
    await emit(MediaProcessingStarted(media_id=media["id"], post_id=media["post_id"]))
    await emit(event)
    return keys


async def test_processed_event_makes_media_ready_with_urls_that_serve_bytes(
    app, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit
):
    _, alice = tokens.user()
    media = await _uploaded(client, alice, new_post)
    await _process(app, media, emit)

    async def ready() -> dict[str, Any] | None:
        body = await _status(client, media, alice)
        return body if body["status"] == "ready" else None

    body = await eventually(ready)
    assert body["thumbnail_url"] == f"/api/v1/media/{media['id']}/thumbnail.webp"
    assert (body["width"], body["height"]) == (2, 2)
    image = await client.get(body["thumbnail_url"])
    assert image.status_code == 200
    assert image.content == b"RIFF\x00\x00\x00\x00WEBPthumb"
    assert image.headers["content-type"] == "image/webp"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["cache-control"] == "public, max-age=3600"
    assert (
        await client.get(body["thumbnail_url"], headers={"If-None-Match": image.headers["etag"]})
    ).status_code == 304
    original = await client.get(body["original_url"])
    assert original.content == b"RIFF\x00\x00\x00\x00WEBPoriginal"
    listing = (await client.get(f"{POSTS}/{media['post_id']}/media")).json()["items"]
    assert [m["id"] for m in listing] == [media["id"]]


async def test_only_renditions_of_visible_posts_are_served(
    app, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit
):
    _, alice = tokens.user()
    media = await _uploaded(client, alice, new_post)
    await _process(app, media, emit)
    url = f"/api/v1/media/{media['id']}/thumbnail.webp"

    async def served() -> bool:
        return (await client.get(url)).status_code == 200

    await eventually(served)
    assert (await client.get(f"/api/v1/media/{media['id']}/upload.png")).status_code == 404
    assert (await client.get(f"/api/v1/media/{uuid.uuid4()}/thumbnail.webp")).status_code == 404
    await client.patch(f"{POSTS}/{media['post_id']}", json={"published": False}, headers=alice)
    assert (await client.get(url)).status_code == 404
    own = await client.get(url, headers=alice)
    assert own.status_code == 200
    assert own.headers["cache-control"].startswith("private")
    await client.delete(f"{POSTS}/{media['post_id']}", headers=alice)
    assert (await client.get(url, headers=alice)).status_code == 404


async def test_status_moves_through_processing_and_failed(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit
):
    _, alice = tokens.user()
    _, bob = tokens.user()
    media = await _uploaded(client, alice, new_post)
    await emit(MediaProcessingStarted(media_id=media["id"], post_id=media["post_id"]))

    async def status_is(expected: str) -> bool:
        return bool((await _status(client, media, alice))["status"] == expected)

    await eventually(lambda: status_is("processing"))
    assert (await client.get(f"{POSTS}/{media['post_id']}/media", headers=bob)).json()["items"] == []
    assert (await client.get(f"{POSTS}/{media['post_id']}/media/{media['id']}")).status_code == 404
    await emit(MediaFailed(media_id=media["id"], post_id=media["post_id"], reason="not a decodable image"))
    await eventually(lambda: status_is("failed"))
    body = await _status(client, media, alice)
    assert body["failure_reason"] == "not a decodable image"
    assert body["thumbnail_url"] is None
    own = await client.get(f"{POSTS}/{media['post_id']}/media", headers=alice)
    assert own.headers["cache-control"] == "private, no-cache"
    assert [m["status"] for m in own.json()["items"]] == ["failed"]


async def test_an_upload_retried_with_its_key_attaches_one_image_even_once_the_post_is_full(
    client: httpx.AsyncClient,
    tokens: TokenFactory,
    new_post,
    sql,
):
    _, alice = tokens.user()
    post = await new_post(alice)
    media_url = f"{POSTS}/{post['id']}/media"
    key = {"Idempotency-Key": str(uuid.uuid4())}

    async def upload(data: bytes, headers: dict[str, str]) -> httpx.Response:
        return await client.post(media_url, files={"file": ("p.png", data, "image/png")}, headers=headers)

    first = await upload(png_bytes(), {**alice, **key})
    again = await upload(png_bytes(), {**alice, **key})
    assert (first.status_code, again.status_code) == (202, 202), again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    for _ in range(2):  # MEDIA_MAX_PER_POST is 3 in the test settings: the post is full now
        assert (await upload(png_bytes(), alice)).status_code == 202
    late_retry = await upload(png_bytes(), {**alice, **key})
    assert late_retry.status_code == 202
    assert late_retry.json()["id"] == first.json()["id"]
    other_image = await upload(png_bytes(3, 3), {**alice, **key})
    assert other_image.status_code == 422
    assert other_image.json()["type"].endswith("/idempotency-key-reused")
    [(count,)] = await sql("SELECT count(*) FROM media WHERE post_id = :p", p=uuid.UUID(post["id"]))
    assert count == 3
