"""What the votes process keeps for its lifetime, typed: built once by ``main.setup``, read by routes
through ``State`` and by tests and tools through :func:`state_of`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from common.ratelimit import RateLimiter
from common.state import ServiceState, get_state, typed_state_of
from votes_service.settings import VotesSettings
from votes_service.votes.purge import VotePurger
from votes_service.votes.service import PostLookup

__all__ = ["State", "VotesState", "state_of"]


@dataclass(kw_only=True, eq=False)
class VotesState(ServiceState):
    settings: VotesSettings
    #: Posts' internal lookup, for a post the read model does not know yet.
    post_lookup: PostLookup
    #: Vote changes per user (vote stuffing), in Redis.
    vote_limiter: RateLimiter
    #: Removes deleted users' votes in the background (and woken by each deletion).
    vote_purger: VotePurger


#: A route's handle on the state.
State = Annotated[VotesState, Depends(get_state)]


#: The state of a started app, typed (``common.state.state_of`` knows only the base), for tests and tools.
state_of = typed_state_of(VotesState)
