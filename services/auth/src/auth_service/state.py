"""Auth's process-wide objects, typed, built once in ``main``'s ``setup``; routes take ``State``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, FastAPI

from auth_service.accounts.service import AccountService
from auth_service.admin.service import AdminService
from auth_service.forward_auth.service import ForwardAuth
from auth_service.keys.keyring import KeyRing
from auth_service.keys.security import Passwords
from auth_service.keys.source import AuthKeys
from auth_service.sessions.denylist import Denylist
from auth_service.sessions.service import SessionService
from auth_service.settings import AuthSettings
from auth_service.tiers.cache import TierCache
from common.state import ServiceState, get_state, state_of

__all__ = ["AuthState", "State", "auth_state"]


@dataclass(kw_only=True, eq=False)
class AuthState(ServiceState):
    settings: AuthSettings
    #: The signing keys of this process (re-read from their directory without a restart).
    keyring: KeyRing
    #: What auth's own verifier trusts: the key ring, then the replicas' JWKS.
    auth_keys: AuthKeys
    passwords: Passwords
    denylist: Denylist
    #: Tier limits in process memory, reloaded when an admin changes them.
    tier_cache: TierCache
    accounts: AccountService
    sessions: SessionService
    admin: AdminService
    #: The gateway's per-request check (``auth_service.hotpath`` serves it).
    forward_auth: ForwardAuth


State = Annotated[AuthState, Depends(get_state)]


def auth_state(app: FastAPI) -> AuthState:
    """``common.state.state_of``, typed for auth: a started app's state (tests, the fast endpoint)."""
    return cast(AuthState, state_of(app))
