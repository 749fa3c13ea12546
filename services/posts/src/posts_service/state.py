"""The posts service's process-wide objects, typed: what ``main.setup`` opens, what routes read.

Routes take ``state: State``; tests and tools use ``state_of(app)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from common.state import ServiceState, get_state, typed_state_of
from common.storage import ObjectStorage
from posts_service.posts.cache import ResponseCache
from posts_service.posts.purge import Purger
from posts_service.settings import PostsSettings

__all__ = ["PostsState", "State", "state_of"]


@dataclass(kw_only=True, eq=False)
class PostsState(ServiceState):
    settings: PostsSettings
    #: The rendered-response cache, on a Redis client of its own (it stores bytes).
    cache: ResponseCache
    #: Where media files are kept (local directory or S3).
    storage: ObjectStorage
    #: The retention purge of soft-deleted posts (started only with ``RUN_BACKGROUND``).
    purger: Purger


State = Annotated[PostsState, Depends(get_state)]


#: The state of a started app, typed (``common.state.state_of`` knows only the base), for tests and tools.
state_of = typed_state_of(PostsState)
