"""Votes' rules. No commit, no HTTP types (the posts lookup is behind ``PostLookup``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from common import BadRequest, NotFound, Principal
from common.events import add_event, add_events
from common.events.schemas import VoteCast, VoteRetracted
from common.pagination import decode_cursor, encode_cursor
from common.recent_votes import note_vote
from votes_service.votes import repository
from votes_service.votes.schemas import MyVote, MyVotesPage, VoteState, VoteTallyPublic

__all__ = [
    "PostLookup",
    "cast_vote",
    "list_my_votes",
    "my_vote",
    "remove_user_votes_chunk",
    "retract_vote",
    "vote_tallies",
]

POST_NOT_FOUND = "Post not found: it does not exist, is not published or was deleted"


class PostLookup(Protocol):
    async def is_votable(self, post_id: uuid.UUID) -> bool:
        """Ask the posts service whether the post exists and is public."""


async def _ensure_votable(session: AsyncSession, post_id: uuid.UUID, posts: PostLookup) -> None:
    """404 for a post that does not exist, is unpublished or was deleted.

    The read model answers most calls; a post it does not know may be a moment old with its
    ``posts.post.created`` still in flight, so its owner is asked (and the answer remembered).
    """
    known = await repository.get_known_post(session, post_id)
    if known is None:
        if not await posts.is_votable(post_id):
            raise NotFound(POST_NOT_FOUND)
        await repository.remember_post_if_unknown(session, post_id)
        return
    if known.deleted or not known.published:
        raise NotFound(POST_NOT_FOUND)


async def _changed(
    session: AsyncSession, kind: type[VoteCast | VoteRetracted], user_id: uuid.UUID, post_id: uuid.UUID
) -> VoteCast | VoteRetracted:
    """The event of a vote change just made, with the post's count and seq as of that change."""
    vote_count, seq = (await repository.tallies(session, [post_id]))[post_id]
    note_vote(session, post_id, vote_count, seq)  # the voter's next read shows it (recent_votes)
    return kind(post_id=post_id, user_id=user_id, vote_count=vote_count, seq=seq)


async def cast_vote(
    session: AsyncSession, user: Principal, post_id: uuid.UUID, posts: PostLookup
) -> VoteState:
    await _ensure_votable(session, post_id, posts)
    added = await repository.add_vote(session, user.user_id, post_id)
    if added:
        await add_event(session, await _changed(session, VoteCast, user.user_id, post_id))
    return VoteState(post_id=post_id, voted=True, changed=added)


async def retract_vote(session: AsyncSession, user: Principal, post_id: uuid.UUID) -> VoteState:
    removed = await repository.remove_vote(session, user.user_id, post_id)
    if removed:
        event = await _changed(session, VoteRetracted, user.user_id, post_id)
        await add_event(session, event)
    return VoteState(post_id=post_id, voted=False, changed=removed)


async def remove_user_votes_chunk(session: AsyncSession, user_id: uuid.UUID, *, limit: int) -> int:
    """Remove up to ``limit`` of a deleted user's votes, publishing each removal; how many went.

    Three statements whatever the size: one ``DELETE`` (the tally triggers move every post's count
    in it), one read of those posts' tallies, one multi-row outbox insert. The events carry each
    post's count and seq, so posts' counts follow exactly.
    """
    post_ids = await repository.delete_user_votes(session, user_id, limit=limit)
    tallies = await repository.tallies(session, post_ids)
    await add_events(
        session,
        [
            VoteRetracted(post_id=post_id, user_id=user_id, vote_count=count, seq=seq)
            for post_id, (count, seq) in tallies.items()
        ],
    )
    return len(post_ids)


async def vote_tallies(session: AsyncSession, post_ids: list[uuid.UUID]) -> list[VoteTallyPublic]:
    """The truth about these posts' counts, for posts' reconciliation."""
    tallies = await repository.tallies(session, post_ids)
    return [VoteTallyPublic(post_id=p, vote_count=count, seq=seq) for p, (count, seq) in tallies.items()]


async def my_vote(session: AsyncSession, user: Principal, post_id: uuid.UUID) -> VoteState:
    voted = await repository.has_vote(session, user.user_id, post_id)
    return VoteState(post_id=post_id, voted=voted, changed=False)


async def list_my_votes(
    session: AsyncSession, user: Principal, *, limit: int, cursor: str | None
) -> MyVotesPage:
    after = None
    if cursor:
        created_at, post_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(created_at), uuid.UUID(post_id))
        except (TypeError, ValueError):
            raise BadRequest("Invalid cursor: pass back the next_cursor value of a previous page") from None
    votes = await repository.list_user_votes(session, user.user_id, limit=limit + 1, after=after)
    items = [MyVote(post_id=v.post_id, created_at=v.created_at) for v in votes[:limit]]
    next_cursor = None
    if len(votes) > limit:
        next_cursor = encode_cursor([items[-1].created_at.isoformat(), str(items[-1].post_id)])
    return MyVotesPage(items=items, next_cursor=next_cursor)
