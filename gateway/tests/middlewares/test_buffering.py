"""``buffering.maxRequestBodyBytes``: 413 from Content-Length at once, or while the body streams."""

from __future__ import annotations

import io

ONE_MIB = 1024 * 1024


async def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        chunk = b"y" * min(size, total - sent)
        sent += len(chunk)
        yield chunk


async def test_body_within_the_limit_reaches_the_upstream_intact(gateway, client):
    async with client.post(gateway.url + "/api/v1/posts", data=io.BytesIO(b"z" * ONE_MIB)) as response:
        assert response.status == 200
        assert (await response.json())["body_length"] == ONE_MIB


async def test_content_length_over_the_limit_is_413_without_reading(gateway, client):
    async with client.post(gateway.url + "/api/v1/posts", data=io.BytesIO(b"z" * (ONE_MIB + 1))) as response:
        assert response.status == 413
        assert await response.json() == {"detail": "Request body too large"}
    assert gateway.auth.app.seen == []  # refused before forwardAuth, as the middleware order says
    assert gateway.posts.app.seen == []


async def test_chunked_body_over_the_limit_is_413_while_streaming(gateway, client):
    async with client.post(gateway.url + "/api/v1/votes", data=_chunks(3 * ONE_MIB)) as response:
        assert response.status == 413
    assert gateway.votes.app.seen == []


async def test_chunked_body_within_the_limit_streams_through(gateway, client):
    async with client.post(gateway.url + "/api/v1/votes", data=_chunks(ONE_MIB - 10)) as response:
        assert response.status == 200
        body = await response.json()
    assert body["body_length"] == ONE_MIB - 10
    assert "transfer-encoding" in body["headers"]


async def test_media_upload_accepts_up_to_ten_mib(gateway, client):
    url = gateway.url + "/api/v1/posts/p1/media"
    async with client.post(url, data=_chunks(10 * ONE_MIB)) as response:
        assert response.status == 200
    async with client.post(url, data=_chunks(10 * ONE_MIB + 1)) as response:
        assert response.status == 413
