"""``stripPrefix`` (implemented for completeness; the routing table does not use it)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "forwarded", "prefix"),
    [("/svc/items/1?a=b", "/items/1?a=b", "/svc"), ("/svc", "/", "/svc"), ("/other/x", "/other/x", None)],
)
async def test_prefix_is_stripped_and_reported(stack, client, write_config, path, forwarded, prefix):
    config = write_config(
        f"""
        http:
          routers:
            r:
              rule: "PathPrefix(`/`)"
              middlewares: [strip]
              service: s
          middlewares:
            strip:
              stripPrefix:
                prefixes: [/api, /svc]
          services:
            s:
              loadBalancer:
                servers: [{{url: "{stack.posts.url}"}}]
        """
    )
    await stack.start_gateway(config)
    async with client.get(stack.url + path, headers={"X-Forwarded-Prefix": "/spoofed"}) as response:
        body = await response.json()
    assert body["path"] + (f"?{body['query']}" if body["query"] else "") == forwarded
    assert body["headers"].get("x-forwarded-prefix") == ([prefix] if prefix else None)
