"""Each vote change publishes the post's absolute count with a per-post seq; deleted users' votes go
in bounded chunks; posts can ask for the truth over ``/internal``."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from common.events.schemas import PostDeleted, UserDeleted
from common_testing import eventually
from votes_service.state import state_of
from votes_service.votes import repository
from votes_service.votes.purge import VotePurger

VOTE_EVENTS = (
    "SELECT coalesce(json_agg(json_build_array(type, envelope->'version', envelope->'data')"
    " ORDER BY id), '[]') FROM outbox"
    " WHERE type LIKE 'votes.vote.%' AND envelope->'data'->>'post_id' = :p"
)
LOCK_WAITERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
#: ``n`` votes by user ``:u`` on fresh posts, in one statement.
MANY_VOTES = (
    "INSERT INTO votes (user_id, post_id) SELECT CAST(:u AS uuid), gen_random_uuid()"
    " FROM generate_series(1, :n)"
)


async def test_parallel_casts_and_retracts_on_one_post_get_ordered_seqs_and_exact_counts(
    client, tokens, make_post, sql
) -> None:
    """Interleaved on purpose: 40 users vote at once, then half retract while 20 more vote."""
    post_id = await make_post()
    url = f"/api/v1/votes/{post_id}"
    users = [tokens.user()[1] for _ in range(60)]
    first, late = users[:40], users[40:]
    assert {r.status_code for r in await asyncio.gather(*(client.put(url, headers=h) for h in first))} == {
        201
    }
    changes = [client.delete(url, headers=h) for h in first[::2]] + [client.put(url, headers=h) for h in late]
    random.shuffle(changes)
    await asyncio.gather(*changes)

    events = await sql(VOTE_EVENTS, p=str(post_id))
    assert len(events) == 40 + 20 + 20
    assert {version for _, version, _ in events} == {2}
    by_seq = sorted(events, key=lambda e: e[2]["seq"])
    seqs = [data["seq"] for _, _, data in by_seq]
    assert seqs == list(range(1, len(events) + 1))  # distinct, no gaps: one per change
    # Replayed in seq order, each event's count is the previous one moved by its own change.
    count = 0
    for kind, _, data in by_seq:
        count += 1 if kind == "votes.vote.cast" else -1
        assert data["vote_count"] == count
    rows = await sql("SELECT count(*) FROM votes WHERE post_id = :p", p=post_id)
    assert rows == count == 40
    assert await sql("SELECT vote_count FROM vote_tallies WHERE post_id = :p", p=post_id) == rows


async def test_a_no_op_vote_or_retract_publishes_nothing_and_keeps_the_seq(
    client, tokens, make_post, sql
) -> None:
    post_id = await make_post()
    _, auth = tokens.user()
    url = f"/api/v1/votes/{post_id}"
    assert (await client.put(url, headers=auth)).status_code == 201
    assert (await client.put(url, headers=auth)).status_code == 200
    assert (await client.delete(url, headers=auth)).json()["changed"] is True
    assert (await client.delete(url, headers=auth)).json()["changed"] is False
    events = await sql(VOTE_EVENTS, p=str(post_id))
    assert [(kind, data["vote_count"], data["seq"]) for kind, _, data in events] == [
        ("votes.vote.cast", 1, 1),
        ("votes.vote.retracted", 0, 2),
    ]


async def test_deleting_a_user_with_ten_thousand_votes_is_chunked_and_counts_follow(
    app, client, tokens, make_post, emit, sql
) -> None:
    heavy = uuid.uuid4()
    other = tokens.user()[1]
    shared = await make_post()
    assert (await client.put(f"/api/v1/votes/{shared}", headers=other)).status_code == 201
    async with state_of(app).db.session() as session, session.begin():
        await session.execute(text(MANY_VOTES), {"u": heavy, "n": 9999})
        await session.execute(text("INSERT INTO votes VALUES (:u, :p)"), {"u": heavy, "p": shared})
    assert await sql("SELECT count(*) FROM votes WHERE user_id = :u", u=heavy) == 10_000
    assert await sql("SELECT vote_count FROM vote_tallies WHERE post_id = :p", p=shared) == 2

    await emit(UserDeleted(user_id=heavy))
    await eventually(lambda: sql("SELECT count(*) = 1 FROM inbox WHERE type = 'auth.user.deleted'"))
    await eventually(lambda: sql("SELECT count(*) = 0 FROM vote_purges"), within=60)
    assert await sql("SELECT count(*) FROM votes WHERE user_id = :u", u=heavy) == 0
    retracted = (
        "SELECT count(*) FROM outbox WHERE type = 'votes.vote.retracted' AND envelope->>'version' = '2'"
        " AND envelope->'data'->>'user_id' = :u"
    )
    assert await sql(retracted, u=str(heavy)) == 10_000
    # every tally is back to its rows, and each event said so
    nonzero = "SELECT count(*) FROM vote_tallies WHERE vote_count <> 0 AND post_id <> :p"
    assert await sql(nonzero, p=shared) == 0
    kind, version, data = (await sql(VOTE_EVENTS, p=str(shared)))[-1]
    assert (kind, version, data["vote_count"]) == ("votes.vote.retracted", 2, 1)
    assert await sql("SELECT count(*) FROM votes WHERE post_id = :p", p=shared) == 1


async def test_deleting_a_user_commits_chunk_by_chunk(app, client, sql) -> None:
    """Each chunk is its own transaction of at most ``chunk_size`` votes: 2,500 votes take three,
    each one's removals and events visible (committed) before the next starts."""
    user = uuid.uuid4()
    async with state_of(app).db.session() as session, session.begin():
        await session.execute(text(MANY_VOTES), {"u": user, "n": 2500})
        await repository.request_vote_purge(session, user)
    purger = VotePurger(state_of(app).db, chunk_size=1000)
    progress = []
    while (removed := await purger.purge_chunk()) is not None:
        left = await sql("SELECT count(*) FROM votes WHERE user_id = :u", u=user)
        published = await sql("SELECT count(*) FROM outbox WHERE type = 'votes.vote.retracted'")
        progress.append((removed, left, published))
    assert progress == [(1000, 1500, 1000), (1000, 500, 2000), (500, 0, 2500)]
    assert await sql("SELECT count(*) FROM vote_purges") == 0


async def test_a_purge_cut_short_goes_on_where_it_stopped(app, client, sql) -> None:
    """A crash between chunks: the pending purge stays, and the next pass finishes it."""
    user = uuid.uuid4()
    async with state_of(app).db.session() as session, session.begin():
        await session.execute(text(MANY_VOTES), {"u": user, "n": 30})
        await repository.request_vote_purge(session, user)
    purger = VotePurger(state_of(app).db, chunk_size=20)
    assert await purger.purge_chunk() == 20  # ...and the process dies here
    assert await sql("SELECT count(*) FROM vote_purges WHERE user_id = :u", u=user) == 1
    assert await VotePurger(state_of(app).db, chunk_size=20).purge_pending() == 10
    assert await sql("SELECT count(*) FROM votes") == 0
    assert await sql("SELECT count(*) FROM outbox WHERE type = 'votes.vote.retracted'") == 30


async def test_my_votes_leave_out_deleted_posts(client, tokens, make_post, emit, sql) -> None:
    _, auth = tokens.user()
    kept, gone = await make_post(), await make_post()
    for post_id in (kept, gone):
        assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 201
    await emit(PostDeleted(post_id=gone, author_id=uuid.uuid4()))
    await eventually(lambda: sql("SELECT deleted FROM known_posts WHERE post_id = :p", p=gone))

    page = (await client.get("/api/v1/votes/me", headers=auth)).json()
    assert [item["post_id"] for item in page["items"]] == [str(kept)]
    assert page["next_cursor"] is None
    # the vote itself is kept (an admin may restore the post), and can still be taken back
    assert (await client.get(f"/api/v1/votes/{gone}/me", headers=auth)).json()["voted"] is True


async def test_internal_tallies_report_counts_and_seqs(client, tokens, make_post) -> None:
    voted, untouched = await make_post(), uuid.uuid4()
    for _ in range(3):
        assert (await client.put(f"/api/v1/votes/{voted}", headers=tokens.user()[1])).status_code == 201
    response = await client.post("/internal/votes/tallies", json={"post_ids": [str(voted), str(untouched)]})
    assert response.status_code == 200
    assert response.json() == {
        "tallies": [
            {"post_id": str(voted), "vote_count": 3, "seq": 3},
            {"post_id": str(untouched), "vote_count": 0, "seq": 0},
        ]
    }
    bad = await client.post("/internal/votes/tallies", json={"post_ids": ["nope"]})
    assert bad.status_code == 422
    assert "detail" in bad.json()
    assert (await client.post("/internal/votes/tallies", json={"post_ids": []})).status_code == 422


async def test_a_deleted_authors_posts_refuse_votes_once_posts_publishes_their_deletion(
    client, tokens, make_post, emit, sql
) -> None:
    """What posts now publishes when auth deletes an author: one ``posts.post.deleted`` per post."""
    _, voter = tokens.user()
    author = uuid.uuid4()
    posts = [await make_post() for _ in range(3)]
    assert (await client.put(f"/api/v1/votes/{posts[0]}", headers=voter)).status_code == 201
    deleted_at = datetime.now(UTC) + timedelta(seconds=1)  # after make_post's created state
    for post_id in posts:
        await emit(PostDeleted(post_id=post_id, author_id=author, changed_at=deleted_at))
    await eventually(lambda: sql("SELECT count(*) = 3 FROM known_posts WHERE deleted"))
    for post_id in posts:
        refused = await client.put(f"/api/v1/votes/{post_id}", headers=voter)
        assert refused.status_code == 404
        assert "deleted" in refused.json()["detail"]
    assert (await client.get("/api/v1/votes/me", headers=voter)).json()["items"] == []


async def test_a_vote_waits_for_a_concurrent_one_on_the_same_post_and_counts_it(
    app, client, make_post, sql
) -> None:
    """Interleaved on purpose: A votes and holds its transaction open; B's vote on the same post waits
    for A's commit, then gets the next seq and a count that includes A's vote."""
    post_id = await make_post()
    a, b = uuid.uuid4(), uuid.uuid4()
    async with state_of(app).db.session() as first:
        assert await repository.add_vote(first, a, post_id)
        assert (await repository.tallies(first, [post_id]))[post_id] == (1, 1)

        async def second_vote() -> tuple[int, int]:
            async with state_of(app).db.session() as second, second.begin():
                assert await repository.add_vote(second, b, post_id)
                return (await repository.tallies(second, [post_id]))[post_id]

        waiting = asyncio.create_task(second_vote())
        await eventually(lambda: sql(LOCK_WAITERS))  # B is blocked on the tally's row lock
        assert not waiting.done()
        await first.commit()
        assert await waiting == (2, 2)
