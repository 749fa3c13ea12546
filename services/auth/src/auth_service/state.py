"""Auth's process-wide objects, typed, built once in ``main``'s ``setup``; routes take ``State``.

The feature services are module functions handed the request's session and this state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from auth_service.accounts.guards import BruteForceGuard
from auth_service.forward_auth.service import ForwardAuth
from auth_service.keys.keyring import KeyRing
from auth_service.keys.security import Passwords
from auth_service.keys.source import AuthKeys
from auth_service.sessions.denylist import Denylist
from auth_service.sessions.manager import SessionManager
from auth_service.settings import AuthSettings
from auth_service.tiers.cache import TierCache
from common.events.schemas import TokenSeal
from common.state import ServiceState, get_state, typed_state_of

__all__ = ["AuthState", "State", "state_of"]


@dataclass(kw_only=True, eq=False)
class AuthState(ServiceState):
    settings: AuthSettings
    #: The signing keys of this process (re-read from their directory without a restart).
    keyring: KeyRing
    #: What auth's own verifier trusts: the key ring, then the replicas' JWKS.
    auth_keys: AuthKeys
    #: Argon2id, off the event loop.
    passwords: Passwords
    #: Seals the mailed single-use tokens for the worker alone (the outbox keeps no usable token).
    seal: TokenSeal
    #: Brute-force limits per client address and per account.
    guard: BruteForceGuard
    denylist: Denylist
    #: Opens, rotates and revokes device sessions.
    session_manager: SessionManager
    #: Tier limits in process memory, reloaded when an admin changes them.
    tier_cache: TierCache
    #: The gateway's per-request check (``auth_service.hotpath`` serves it).
    forward_auth: ForwardAuth


State = Annotated[AuthState, Depends(get_state)]


#: The typed state of a started app (tests, the CLI, the fast endpoint ahead of the dependencies).
state_of = typed_state_of(AuthState)
