"""What auth's routes need, declared once.

``SignedIn`` differs from ``common.CurrentUser`` in one way: auth also consults the denylist, so a
signed-out session's access token stops working on auth's own routes at once, as at the gateway.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from auth_service.accounts.guards import redis_or_503
from auth_service.forward_auth.network import client_ip
from auth_service.keys.keyring import KeyRing
from auth_service.sessions.manager import DeviceInfo
from auth_service.settings import AuthSettings
from auth_service.state import State
from auth_service.tiers.cache import TierCache
from common import Forbidden, Principal, Unauthorized
from common.idempotency import Idempotency, IdempotencyKeyHeader
from common.identity import oauth2_scheme

__all__ = [
    "AdminDep",
    "ClientIPDep",
    "DeviceDep",
    "KeyRingDep",
    "RegisterIdempotency",
    "SettingsDep",
    "SignedIn",
    "State",
    "TierCacheDep",
]


async def _keyring(state: State) -> KeyRing:
    return state.keyring


async def _settings(state: State) -> AuthSettings:
    return state.settings


async def _tier_cache(state: State) -> TierCache:
    return state.tier_cache


SettingsDep = Annotated[AuthSettings, Depends(_settings)]


def _client_ip(request: Request, settings: SettingsDep) -> str:
    return client_ip(request, trust_forwarded_for=settings.trust_forwarded_for)


ClientIPDep = Annotated[str, Depends(_client_ip)]


def _device(
    request: Request,
    ip: ClientIPDep,
    platform: Annotated[
        str | None, Header(alias="X-Client-Platform", max_length=64, description="a name for this device")
    ] = None,
) -> DeviceInfo:
    return DeviceInfo(
        user_agent=request.headers.get("user-agent"),
        ip=ip,
        platform=platform.strip() if platform else None,
    )


async def _signed_in(state: State, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    if not token:
        raise Unauthorized("Not authenticated: send an 'Authorization: Bearer <access token>' header")
    principal = await state.verifier.principal(token)
    with redis_or_503():
        revoked = await state.denylist.is_revoked(principal.session_id, principal.token_id)
    if revoked:
        raise Unauthorized("This session was signed out; sign in again")
    return principal


def _register_idempotency(
    request: Request, settings: SettingsDep, idempotency_key: IdempotencyKeyHeader = None
) -> Idempotency:
    """Sign-up's ``Idempotency-Key``: no user yet, so the key alone is the scope (a UUID key is not
    guessed). The fingerprint covers the password: it is an HMAC under a key derived from
    ``MAIL_TOKEN_KEY``, so the table holds nothing a password can be guessed from offline."""
    secret = hmac.new(
        settings.mail_token_key.get_secret_value().encode(), b"idempotency-fingerprint", hashlib.sha256
    ).digest()
    return Idempotency.of(
        request,
        idempotency_key,
        scope="register",
        ttl_seconds=settings.idempotency_key_ttl_seconds,
        secret=secret,
    )


async def _admin(principal: Annotated[Principal, Depends(_signed_in)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("This needs the admin role")
    return principal


KeyRingDep = Annotated[KeyRing, Depends(_keyring)]
TierCacheDep = Annotated[TierCache, Depends(_tier_cache)]
DeviceDep = Annotated[DeviceInfo, Depends(_device)]
RegisterIdempotency = Annotated[Idempotency, Depends(_register_idempotency)]
SignedIn = Annotated[Principal, Depends(_signed_in)]
AdminDep = Annotated[Principal, Depends(_admin)]
