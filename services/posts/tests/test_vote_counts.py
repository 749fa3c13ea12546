"""The vote-count read model converges on votes' truth whatever the order or duplication of events."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from common.events import Envelope, add_event
from common.events.schemas import VoteCast, VoteRetracted
from common_testing import TokenFactory, eventually
from posts_service.handlers import on_votes
from posts_service.state import state_of

POSTS = "/api/v1/posts"
VoteEvent = VoteCast | VoteRetracted


def history(voters: int, changes: int, seed: int) -> tuple[list[VoteEvent], int]:
    """What votes would publish for one post: valid casts and retracts, each with the count and seq
    right after it, and the final number of vote rows."""
    rng = random.Random(seed)
    post_id, users = uuid.uuid4(), [uuid.uuid4() for _ in range(voters)]
    voted: set[uuid.UUID] = set()
    events: list[VoteEvent] = []
    for seq in range(1, changes + 1):
        user = rng.choice(users)
        kind: type[VoteEvent] = VoteRetracted if user in voted else VoteCast
        voted.symmetric_difference_update({user})
        events.append(kind(post_id=post_id, user_id=user, vote_count=len(voted), seq=seq))
    return events, len(voted)


def deliveries(events: list[VoteEvent], seed: int) -> list[VoteEvent]:
    """Shuffled, with some events twice (a republished outbox row), retractions first for good measure."""
    rng = random.Random(seed)
    delivered = events + rng.sample(events, len(events) // 3)
    rng.shuffle(delivered)
    delivered.sort(key=lambda e: not isinstance(e, VoteRetracted))  # stable: shuffled within each kind
    return delivered


async def _post_with_votes(app: FastAPI, events: list[VoteEvent]) -> None:
    """A post row for ``events``' post (the events are all about one post)."""
    async with state_of(app).db.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO posts (id, author_id, title, content) VALUES (:id, :a, 't', 'c')"),
            {"id": events[0].post_id, "a": uuid.uuid4()},
        )


async def _stored(app: FastAPI, post_id: uuid.UUID) -> int:
    async with state_of(app).db.engine.begin() as conn:
        return int(
            (
                await conn.execute(text("SELECT vote_count FROM posts WHERE id = :id"), {"id": post_id})
            ).scalar_one()
        )


def _envelope(event: VoteEvent) -> Envelope:
    return Envelope.wrap(event, correlation_id=None)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("batch", [1, 7, 1000], ids=["single", "batches-of-7", "one-batch"])
async def test_shuffled_and_duplicated_vote_events_converge_on_the_rows(
    app: FastAPI, client: httpx.AsyncClient, seed: int, batch: int
) -> None:
    events, rows = history(voters=6, changes=40, seed=seed)
    await _post_with_votes(app, events)
    delivered = [_envelope(e) for e in deliveries(events, seed)]
    for start in range(0, len(delivered), batch):
        async with state_of(app).db.session() as session, session.begin():
            await on_votes(session, delivered[start : start + batch])
    assert await _stored(app, events[0].post_id) == rows


async def test_through_the_broker_singly_and_in_bursts_the_count_ends_at_the_rows(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit
) -> None:
    _, alice = tokens.user()
    post = await new_post(alice)
    events, rows = history(voters=5, changes=30, seed=42)
    events = [type(e)(**{**e.model_dump(), "post_id": post["id"]}) for e in events]
    delivered = deliveries(events, seed=42)
    half = len(delivered) // 2
    for event in delivered[:half]:  # one at a time: each consumed before the next leaves
        await emit(event)
    async with state_of(app).db.session() as session, session.begin():  # the rest as one burst
        for event in delivered[half:]:
            await add_event(session, event)

    async def consumed() -> Any:
        async with state_of(app).db.engine.begin() as conn:
            return (
                await conn.execute(text("SELECT count(*) FROM inbox WHERE type LIKE 'votes.vote.%'"))
            ).scalar_one() == len(delivered)

    await eventually(consumed)
    assert (await client.get(f"{POSTS}/{post['id']}")).json()["vote_count"] == rows


async def test_version_one_deltas_still_count_until_a_version_two_event_arrives(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A rolling deploy: an older votes still publishes deltas; once seqs arrive they decide."""
    post_id = uuid.uuid4()
    await _post_with_votes(app, [VoteCast(post_id=post_id, user_id=uuid.uuid4())])

    class OldCast(VoteCast):
        VERSION = 1

    async def deliver(*events: VoteEvent) -> None:
        async with state_of(app).db.session() as session, session.begin():
            await on_votes(session, [_envelope(e) for e in events])

    await deliver(
        OldCast(post_id=post_id, user_id=uuid.uuid4()), OldCast(post_id=post_id, user_id=uuid.uuid4())
    )
    assert await _stored(app, post_id) == 2
    await deliver(VoteCast(post_id=post_id, user_id=uuid.uuid4(), vote_count=5, seq=9))
    assert await _stored(app, post_id) == 5
    # a late delta from the old producer is already inside the absolute count: ignored
    await deliver(OldCast(post_id=post_id, user_id=uuid.uuid4()))
    assert await _stored(app, post_id) == 5
    # an older seq changes nothing, a newer one wins
    await deliver(VoteRetracted(post_id=post_id, user_id=uuid.uuid4(), vote_count=1, seq=3))
    assert await _stored(app, post_id) == 5
    await deliver(VoteRetracted(post_id=post_id, user_id=uuid.uuid4(), vote_count=4, seq=10))
    assert await _stored(app, post_id) == 4
