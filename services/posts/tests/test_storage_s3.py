"""The S3 backend of object storage, against a real S3-compatible server (moto's) on a loopback port.

Kept in its own module so the rest of the suite runs on the local backend (the embedded default);
this module proves that the backend compose and Kubernetes use keeps the same contract.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from common import NotFound
from common.storage import LocalStorage
from common.storage_config import StorageSettings, open_storage, storage_from_settings
from common.storage_s3 import S3Storage


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
async def s3(s3_endpoint: str) -> AsyncIterator[S3Storage]:
    storage = S3Storage(
        bucket=f"media-{uuid.uuid4().hex[:8]}",
        endpoint_url=s3_endpoint,
        access_key_id="test-key",
        secret_access_key="test-secret",
    )
    await storage.ensure_bucket()
    yield storage
    await storage.close()


async def test_put_get_exists_delete_round_trip(s3: S3Storage):
    key = f"media/{uuid.uuid4()}/upload.png"
    assert await s3.exists(key) is False
    await s3.put(key, b"\x89PNG payload", "image/png")
    assert await s3.exists(key) is True
    assert await s3.get(key) == b"\x89PNG payload"
    await s3.delete(key)
    assert await s3.exists(key) is False
    await s3.delete(key)  # deleting twice is not an error, as on the local backend


async def test_missing_object_is_not_found(s3: S3Storage):
    with pytest.raises(NotFound):
        await s3.get("media/nothing/here.webp")


@pytest.mark.parametrize("key", ["../escape", "/absolute", "a/../b", "back\\slash", ""])
async def test_keys_that_could_escape_are_refused(s3: S3Storage, key: str):
    with pytest.raises(ValueError, match="invalid storage key"):
        await s3.put(key, b"x", "image/png")


async def test_ensure_bucket_is_idempotent(s3: S3Storage):
    await s3.ensure_bucket()
    await s3.put("media/x/y.png", b"y", "image/png")
    assert await s3.exists("media/x/y.png")


async def test_settings_choose_the_backend(s3_endpoint: str, tmp_path: Path):
    local = storage_from_settings(StorageSettings(media_storage="local", media_dir=tmp_path))
    assert isinstance(local, LocalStorage)
    settings = StorageSettings(
        media_storage="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=f"media-{uuid.uuid4().hex[:8]}",
        s3_access_key_id="test-key",
        s3_secret_access_key="top-secret-value",
    )
    async with open_storage(settings) as storage:
        assert isinstance(storage, S3Storage)
        assert "top-secret-value" not in repr(storage)
        await storage.ensure_bucket()
        await storage.put("media/a/b.webp", b"webp", "image/webp")
        assert await storage.get("media/a/b.webp") == b"webp"
