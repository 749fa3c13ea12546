"""An S3-compatible backend for :class:`common.storage.ObjectStorage` (MinIO in compose, S3 in production).

Built on aiobotocore (the ``common[s3]`` extra), imported lazily so services that never use S3 do not
need it. The client is opened on first use and closed by :meth:`S3Storage.close` (call it in lifespan);
a custom ``endpoint_url`` (MinIO, moto) gets path-style addressing, because such servers do not serve
``<bucket>.<host>`` names. Keys are validated exactly like :class:`common.storage.LocalStorage` keys,
so code tested on the local backend cannot write a key the S3 backend would accept differently.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from common.errors import NotFound
from common.storage import validate_key

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

__all__ = ["S3Storage"]

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


def _is_missing(exc: Exception) -> bool:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code", "")) in _MISSING


class S3Storage:
    """Objects in one bucket. ``access_key_id=None`` uses botocore's default chain (IAM roles)."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str = "us-east-1",
        timeout: float = 30.0,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self._access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self.region = region
        self.timeout = timeout
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:  # never show the credentials
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    async def _s3(self) -> S3Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._stack.enter_async_context(self._create_client())
        client: S3Client = self._client
        return client

    def _create_client(self) -> contextlib.AbstractAsyncContextManager[S3Client]:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        config = AioConfig(
            connect_timeout=5,
            read_timeout=self.timeout,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path" if self.endpoint_url else "auto"},
        )
        return get_session().create_client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self._access_key_id,
            aws_secret_access_key=self._secret_access_key,
            config=config,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        s3 = await self._s3()
        await s3.put_object(Bucket=self.bucket, Key=validate_key(key), Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes:
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self.bucket, Key=validate_key(key))
        except Exception as exc:
            if _is_missing(exc):
                raise NotFound("Object not found") from None
            raise
        async with response["Body"] as body:
            return await body.read()

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        await s3.delete_object(Bucket=self.bucket, Key=validate_key(key))

    async def exists(self, key: str) -> bool:
        s3 = await self._s3()
        try:
            await s3.head_object(Bucket=self.bucket, Key=validate_key(key))
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    async def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (development and tests; production provisions it)."""
        s3 = await self._s3()
        try:
            await s3.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            if not _is_missing(exc):
                raise
            if self.region == "us-east-1":  # the one region that refuses a location constraint
                await s3.create_bucket(Bucket=self.bucket)
            else:
                await s3.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                )

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None
