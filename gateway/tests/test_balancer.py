"""Load balancing and health checks: round-robin, a dead server taken out, and its return."""

from __future__ import annotations

import asyncio
import time

import pytest


def _config(write_config, *urls: str, health: bool = True):
    servers = ", ".join(f'{{url: "{url}"}}' for url in urls)
    check = "healthCheck: {path: /health/live, interval: 100ms, timeout: 500ms}" if health else ""
    return write_config(
        f"""
        http:
          routers:
            r: {{rule: "PathPrefix(`/`)", service: s}}
          services:
            s:
              loadBalancer:
                servers: [{servers}]
                {check}
        """
    )


async def _get(client, url: str, **kwargs):
    async with client.get(url, **kwargs) as response:
        body = await response.json()
        return response.status, body


async def test_round_robin_over_servers(stack, client, write_config):
    await stack.start_gateway(_config(write_config, stack.posts.url, stack.votes.url, health=False))
    servers = [(await _get(client, stack.url + "/x"))[1]["server"] for _ in range(4)]
    assert servers == ["posts", "votes", "posts", "votes"]


async def test_dead_server_is_skipped_after_its_health_check(stack, client, write_config):
    await stack.start_gateway(_config(write_config, stack.posts.url, stack.votes.url))
    await stack.votes.stop()
    await asyncio.sleep(0.4)  # a few health-check intervals
    servers = {(await _get(client, stack.url + "/x"))[1]["server"] for _ in range(4)}
    assert servers == {"posts"}


async def test_refused_connection_is_502_then_503_then_recovers(stack, client, write_config):
    await stack.start_gateway(_config(write_config, stack.posts.url))
    await stack.posts.stop()

    started = time.monotonic()
    status, body = await _get(client, stack.url + "/x")
    assert time.monotonic() - started < 1
    assert (status, body) in ((502, {"detail": "Bad gateway"}), (503, {"detail": "Service unavailable"}))

    await asyncio.sleep(0.4)
    started = time.monotonic()
    status, body = await _get(client, stack.url + "/x")
    assert (status, body) == (503, {"detail": "Service unavailable"})
    assert time.monotonic() - started < 0.5

    await stack.posts.start()  # same port
    for _ in range(50):
        status, body = await _get(client, stack.url + "/x")
        if status == 200:
            break
        await asyncio.sleep(0.05)
    assert (status, body["server"]) == (200, "posts")


async def test_without_health_check_a_dead_server_is_502(stack, client, write_config):
    await stack.start_gateway(_config(write_config, stack.posts.url, health=False))
    await stack.posts.stop()
    assert (await _get(client, stack.url + "/x")) == (502, {"detail": "Bad gateway"})


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_slow_upstream_is_504_within_the_timeout(stack, client, write_config, method):
    await stack.start_gateway(_config(write_config, stack.posts.url, health=False), upstream_timeout=0.3)
    started = time.monotonic()
    async with client.request(method, stack.url + "/x", headers={"X-Test-Delay": "1.2"}) as response:
        assert response.status == 504
        assert await response.json() == {"detail": "Gateway timeout"}
    assert 0.3 <= time.monotonic() - started < 1.5
    async with client.get(stack.url + "/x", headers={"X-Test-Delay": "0.05"}) as response:
        assert response.status == 200  # the gateway is fine afterwards


async def test_response_header_timeout_comes_from_the_servers_transport(stack, client, write_config):
    config = write_config(
        f"""
        http:
          routers:
            r: {{rule: "PathPrefix(`/`)", service: s}}
          services:
            s:
              loadBalancer:
                servers: [{{url: "{stack.posts.url}"}}]
                serversTransport: fast
          serversTransports:
            fast:
              forwardingTimeouts: {{responseHeaderTimeout: 200ms}}
        """
    )
    await stack.start_gateway(config)
    async with client.get(stack.url + "/x", headers={"X-Test-Delay": "1"}) as response:
        assert response.status == 504
