"""The OpenAPI document tells the truth: every status a vote route can answer is documented."""

from __future__ import annotations

import httpx


async def test_every_status_a_route_can_answer_is_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = {
        f"{method.upper()} {path}": set(operation["responses"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    for label, documented in operations.items():
        # Every route needs a signed-in user and is rate limited.
        assert {"401", "429", "422"} <= documented, label
    assert {"200", "201", "404", "503"} <= operations["PUT /api/v1/votes/{post_id}"]
    assert "400" in operations["GET /api/v1/votes/me"]  # a cursor it did not hand out


async def test_a_refused_vote_answers_the_documented_body(client: httpx.AsyncClient, tokens) -> None:
    _, auth = tokens.user()
    response = await client.get("/api/v1/votes/me", params={"cursor": "bogus"}, headers=auth)
    assert response.status_code == 400
    assert set(response.json()) >= {"type", "title", "status", "detail", "instance"}
    unsigned = await client.get("/api/v1/votes/me")
    assert unsigned.status_code == 401
    assert set(unsigned.json()) >= {"type", "title", "status", "detail", "instance"}
