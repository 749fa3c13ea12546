"""Vote stuffing is limited per user, with headers a client can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from common_testing import serve
from votes_service.main import create_app
from votes_service.settings import VotesSettings


@pytest.fixture
async def strict_client(overrides, tokens, client) -> AsyncIterator[httpx.AsyncClient]:
    """The same service, configured with 3 vote changes per minute (no consumers of its own)."""
    settings = VotesSettings(
        **overrides, vote_rate_limit=3, vote_rate_period_seconds=60, run_background=False
    )
    async with serve(create_app(settings, verifier=tokens.verifier())) as strict:
        yield strict


async def test_votes_over_the_limit_are_refused_with_retry_after(strict_client, tokens, make_post) -> None:
    post_id = await make_post()
    _, auth = tokens.user()
    _, other = tokens.user()
    first = await strict_client.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert first.status_code == 201
    assert first.headers["ratelimit-limit"] == "3"
    assert first.headers["ratelimit-remaining"] == "2"
    assert (await strict_client.delete(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 200
    assert (await strict_client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 201

    refused = await strict_client.delete(f"/api/v1/votes/{post_id}", headers=auth)
    assert refused.status_code == 429
    assert "Too many votes" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert refused.headers["ratelimit-remaining"] == "0"
    # The refused retraction did not happen; reading is not limited; other users are not affected.
    mine = await strict_client.get(f"/api/v1/votes/{post_id}/me", headers=auth)
    assert mine.json()["voted"] is True
    assert (await strict_client.put(f"/api/v1/votes/{post_id}", headers=other)).status_code == 201


async def test_with_redis_down_a_vote_is_a_503_and_nothing_is_written(overrides, tokens, make_post) -> None:
    """Redis holds the sign-out denylist: without it no token can be trusted, so no vote is taken
    (the gateway's forwardAuth refuses the same way). The rate limiter alone would have let it pass."""
    post_id = await make_post()
    _, auth = tokens.user()
    settings = VotesSettings(
        **{**overrides, "redis_url": "redis://127.0.0.1:1/13"}, vote_rate_limit=1, run_background=False
    )
    async with serve(create_app(settings, verifier=tokens.verifier())) as no_redis:
        for _ in range(2):
            refused = await no_redis.put(f"/api/v1/votes/{post_id}", headers=auth)
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["Retry-After"]) >= 1
            assert set(refused.json()) >= {"type", "title", "status", "detail", "instance"}
        assert (await no_redis.get(f"/api/v1/votes/{post_id}/me", headers=auth)).status_code == 503
