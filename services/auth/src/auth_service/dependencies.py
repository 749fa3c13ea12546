"""What auth's routes need, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from auth_service.denylist import Denylist
from auth_service.keys import KeyRing
from auth_service.service import AuthService, DeviceInfo
from common import TokenVerifier

__all__ = ["AuthServiceDep", "DenylistDep", "DeviceDep", "KeyRingDep", "VerifierDep"]


def _auth_service(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth_service
    return service


def _keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


def _denylist(request: Request) -> Denylist:
    denylist: Denylist = request.app.state.denylist
    return denylist


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


def _device(request: Request) -> DeviceInfo:
    platform = request.headers.get("x-client-platform")
    return DeviceInfo(
        user_agent=request.headers.get("user-agent"),
        ip=request.client.host if request.client else None,
        platform=platform[:64] if platform else None,
    )


AuthServiceDep = Annotated[AuthService, Depends(_auth_service)]
KeyRingDep = Annotated[KeyRing, Depends(_keyring)]
DenylistDep = Annotated[Denylist, Depends(_denylist)]
VerifierDep = Annotated[TokenVerifier, Depends(_verifier)]
DeviceDep = Annotated[DeviceInfo, Depends(_device)]
