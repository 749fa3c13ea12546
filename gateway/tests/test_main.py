"""The command line: ``--check`` validates, a bad configuration refuses to start with exit status 2."""

from __future__ import annotations

import asyncio
import os
import sys

import aiohttp
import pytest

from native_gateway.__main__ import main


@pytest.fixture
def upstream_env(monkeypatch):
    for name, port in (("AUTH_URL", 8001), ("POSTS_URL", 8002), ("VOTES_URL", 8003)):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")


def test_check_accepts_the_routing_table(upstream_env, routes_path, capsys):
    assert main(["--check", "--config", str(routes_path)]) == 0
    assert "5 routers" in capsys.readouterr().err


def test_refuses_to_start_naming_the_key(upstream_env, write_config, capsys):
    config = write_config("http:\n  middlewares:\n    m:\n      ipAllowList: {sourceRange: [10.0.0.0/8]}\n")
    assert main(["--check", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "refusing to start" in err
    assert "http.middlewares.m.ipAllowList: unsupported key 'ipAllowList'" in err


def test_refuses_to_start_without_upstream_addresses(monkeypatch, routes_path, capsys):
    for name in ("AUTH_URL", "POSTS_URL", "VOTES_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--check", "--config", str(routes_path)]) == 2
    assert "AUTH_URL" in capsys.readouterr().err


async def test_serves_with_uvloop_and_httptools_as_a_process(stack, client):
    """The production entry point, end to end: a real process, uvloop, httptools, the routing table."""
    port = stack.free_port()
    env = {**os.environ, **stack.env, "GATEWAY_PORT": str(port), "GATEWAY_ACCESS_LOG": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "native_gateway", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                async with client.get(
                    url + "/api/v1/posts", headers={"Authorization": "Bearer good"}
                ) as response:
                    body = await response.json()
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the gateway process did not start")
        assert body["headers"]["x-user-id"] == ["u-1"]
        async with client.get(url + "/internal/forward-auth") as response:
            assert response.status == 404
    finally:
        process.terminate()
        _, err = await process.communicate()
    assert b"5 routers" in err
