"""What votes' routes need, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from votes_service.service import PostLookup

__all__ = ["PostLookupDep"]


def _post_lookup(request: Request) -> PostLookup:
    lookup: PostLookup = request.app.state.post_lookup
    return lookup


PostLookupDep = Annotated[PostLookup, Depends(_post_lookup)]
