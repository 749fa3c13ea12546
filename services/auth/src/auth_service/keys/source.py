"""What auth's own verifier (forwardAuth and auth's routes) trusts, kept current without a restart.

First the key ring of this process, re-read from its directory every ``JWT_KEYS_RELOAD_SECONDS`` and
when a token names a key it does not hold (at most once per ``min_reload`` seconds). Then, for a
key only another replica has so far (a rolling deploy, a secret still on its way), the JWKS the
replicas serve together (``JWKS_URL``), through ``common.identity.JWKSKeySource``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from auth_service.keys.keyring import KeyRing
from common.identity import KeySource

__all__ = ["AuthKeys"]

log = logging.getLogger("auth.keys")


class AuthKeys:
    def __init__(self, keyring: KeyRing, *, reload_seconds: float, min_reload: float = 1.0) -> None:
        self.keyring = keyring
        self.reload_seconds = reload_seconds
        self.min_reload = min_reload
        #: The replicas' JWKS; set in the lifespan (it needs an HTTP client).
        self.peers: KeySource | None = None
        self.reloaded_at = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def _local(self, kid: str) -> Any | None:
        key = self.keyring.by_kid.get(kid)
        return None if key is None else key.public_key

    async def reload(self) -> None:
        self.reloaded_at = time.monotonic()
        await asyncio.to_thread(self.keyring.reload)

    async def get(self, kid: str) -> Any | None:
        key = self._local(kid)
        if key is None and time.monotonic() - self.reloaded_at >= self.min_reload:
            await self.reload()
            key = self._local(kid)
        if key is None and self.peers is not None:
            key = await self.peers.get(kid)
        return key

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="auth-keys-reload")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.reload_seconds)
            try:
                await self.reload()
            except Exception as exc:  # a bad file is logged by reload; anything else must not stop the loop
                log.error("signing key reload failed", extra={"error": repr(exc)[:300]})
