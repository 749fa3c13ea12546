"""The public keys that verify access tokens (JWKS), under auth's prefix and at the host's root."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from auth_service.dependencies import KeyRingDep
from common.openapi import error_responses

__all__ = ["router"]

#: Through the gateway every route is rate limited.
router = APIRouter(tags=["auth"], responses=error_responses(429))


@router.get("/api/v1/auth/.well-known/jwks.json")
@router.get("/.well-known/jwks.json", name="jwks_well_known")
async def jwks(keyring: KeyRingDep, response: Response) -> dict[str, Any]:
    """Public keys that verify access tokens."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return keyring.jwks()
