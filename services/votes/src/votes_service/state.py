"""What the votes process keeps for its lifetime, typed: built once by ``main.setup``, read by routes
through ``State`` and by tests and tools through :func:`state_of`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI

from common import state as common_state
from common.ratelimit import RateLimiter
from common.state import ServiceState, get_state
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


def state_of(app: FastAPI) -> VotesState:
    """The state of a started votes app, typed (``common.state.state_of`` knows only the base)."""
    state = common_state.state_of(app)
    assert isinstance(state, VotesState), f"not a votes app: {type(state).__name__}"
    return state
