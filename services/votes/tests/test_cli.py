"""``python -m votes_service.cli purge``: the pending purges of deleted users' votes, run once."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import text

from votes_service import cli
from votes_service.state import state_of
from votes_service.votes import repository

MANY_VOTES = (
    "INSERT INTO votes (user_id, post_id) SELECT CAST(:u AS uuid), gen_random_uuid()"
    " FROM generate_series(1, :n)"
)


async def test_purge_removes_every_pending_users_votes_and_publishes_them(app, client, sql) -> None:
    gone, other, kept = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with state_of(app).db.session() as session, session.begin():
        for user, count in ((gone, 1500), (other, 3), (kept, 2)):
            await session.execute(text(MANY_VOTES), {"u": user, "n": count})
        await repository.request_vote_purge(session, gone)
        await repository.request_vote_purge(session, other)

    out = io.StringIO()
    assert await cli.run(["purge"], state_of(app).settings, out) == 0
    assert out.getvalue() == "1503 vote(s) of deleted users removed\n"
    assert await sql("SELECT count(*) FROM votes WHERE user_id <> :u", u=kept) == 0
    assert await sql("SELECT count(*) FROM votes WHERE user_id = :u", u=kept) == 2
    assert await sql("SELECT count(*) FROM vote_purges") == 0
    assert await sql("SELECT count(*) FROM outbox WHERE type = 'votes.vote.retracted'") == 1503

    out = io.StringIO()
    assert await cli.run(["purge"], state_of(app).settings, out) == 0  # nothing left: a no-op
    assert out.getvalue() == "0 vote(s) of deleted users removed\n"


def test_an_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["vacuum"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'vacuum'" in capsys.readouterr().err
