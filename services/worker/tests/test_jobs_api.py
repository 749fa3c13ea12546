"""Operators' view of jobs: the internal API (admin only) and the command line."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import text

from worker_service import cli
from worker_service.state import state_of


@pytest.fixture
def make_jobs(app):
    """Job rows in given states, as the runner leaves them (no runner picks up 'succeeded'/'failed')."""

    async def _make(*specs: tuple[str, str]) -> list[uuid.UUID]:
        ids = []
        async with state_of(app).db.session() as session, session.begin():
            for n, (job_type, status) in enumerate(specs):
                job_id = uuid.uuid4()
                await session.execute(
                    text(
                        "INSERT INTO jobs (id, type, queue, status, attempts, last_error, created_at)"
                        " VALUES (:i, :t, 'mail', :s, 3, :e, now() - make_interval(secs => :n))"
                    ),
                    {
                        "i": job_id,
                        "t": job_type,
                        "s": status,
                        "e": "boom" if status == "failed" else None,
                        "n": n,
                    },
                )
                ids.append(job_id)
        return ids

    return _make


ROUTES = [("GET", "/internal/jobs"), ("GET", "/internal/jobs/{id}"), ("POST", "/internal/jobs/{id}/retry")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_job_routes_need_an_admin(client, tokens, method, path) -> None:
    url = path.format(id=uuid.uuid4())
    anonymous = await client.request(method, url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    bad = await client.request(method, url, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    _, user = tokens.user()
    forbidden = await client.request(method, url, headers=user)
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "This needs the admin role"


async def test_jobs_are_listed_newest_first_filtered_and_paged(client, tokens, make_jobs) -> None:
    ids = await make_jobs(
        ("email.welcome", "succeeded"),
        ("media.process", "failed"),
        ("email.welcome", "failed"),
        ("email.welcome", "failed"),
    )
    _, admin = tokens.user(role="admin")
    everything = (await client.get("/internal/jobs", headers=admin)).json()
    assert [j["id"] for j in everything["items"]] == [str(i) for i in ids]
    assert "payload" not in everything["items"][0]

    params = {"status": "failed", "type": "email.welcome", "limit": 1}
    first = (await client.get("/internal/jobs", params=params, headers=admin)).json()
    assert [j["id"] for j in first["items"]] == [str(ids[2])]
    params["cursor"] = first["next_cursor"]
    second = (await client.get("/internal/jobs", params=params, headers=admin)).json()
    assert [j["id"] for j in second["items"]] == [str(ids[3])]
    assert second["next_cursor"] is None

    one = await client.get(f"/internal/jobs/{ids[1]}", headers=admin)
    assert one.json()["status"] == "failed"
    assert one.json()["last_error"] == "boom"


@pytest.mark.parametrize(
    ("params", "status"),
    [({"status": "exploded"}, 422), ({"limit": 101}, 422), ({"limit": 0}, 422), ({"cursor": "zzz"}, 400)],
)
async def test_bad_listing_parameters_are_a_clear_4xx(client, tokens, params, status) -> None:
    _, admin = tokens.user(role="admin")
    response = await client.get("/internal/jobs", params=params, headers=admin)
    assert response.status_code == status
    assert response.json()["detail"]


async def test_only_failed_jobs_can_be_retried(client, tokens, make_jobs) -> None:
    (done,) = await make_jobs(("email.welcome", "succeeded"))
    _, admin = tokens.user(role="admin")
    conflict = await client.post(f"/internal/jobs/{done}/retry", headers=admin)
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "Only failed jobs can be retried; this one is succeeded"
    missing = await client.post(f"/internal/jobs/{uuid.uuid4()}/retry", headers=admin)
    assert missing.status_code == 404
    assert (await client.get(f"/internal/jobs/{uuid.uuid4()}", headers=admin)).status_code == 404


async def test_the_cli_lists_and_retries_jobs(client, app, make_jobs, capsys) -> None:
    failed, done = await make_jobs(("email.welcome", "failed"), ("email.welcome", "succeeded"))
    settings = state_of(app).settings
    await state_of(app).job_runners.stop(grace=5)  # so the retried job stays visible as pending
    try:
        out = io.StringIO()
        assert await cli.run(["jobs", "list", "--status", "failed"], settings, out) == 0
        lines = out.getvalue().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(str(failed))
        assert "failed" in lines[0]
        assert "boom" in lines[0]

        out = io.StringIO()
        assert await cli.run(["jobs", "retry", str(failed)], settings, out) == 0
        assert out.getvalue() == f"{failed} is pending again\n"
        assert await cli.run(["jobs", "retry", str(done)], settings, out) == 1
        assert "Only failed jobs can be retried" in capsys.readouterr().err

        out = io.StringIO()
        assert await cli.run(["jobs", "list", "--status", "pending"], settings, out) == 0
        assert out.getvalue().startswith(str(failed))
    finally:
        state_of(app).job_runners.start()
