"""Path sanitizing and the routing path, byte for byte as Traefik computes them."""

from __future__ import annotations

import pytest

from native_gateway.paths import routing_path, sanitize_path


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("/api/v1/posts", "/api/v1/posts"),
        ("/api/v1/posts/", "/api/v1/posts/"),
        ("//api///v1//posts", "/api/v1/posts"),
        ("/api/v1/posts/../../internal/x", "/api/internal/x"),
        ("/../../etc", "/etc"),
        ("/a/./b/.", "/a/b"),
        ("/a/b/../", "/a/"),
        ("/a/%2e%2e/b", "/a/%2e%2e/b"),  # cleaning works on the escaped path, as Go's JoinPath does
        ("", "/"),
    ],
)
def test_sanitize(raw, clean):
    assert sanitize_path(raw) == clean


@pytest.mark.parametrize(
    ("escaped", "routing"),
    [
        ("/plain", "/plain"),
        ("/foo%20bar", "/foo bar"),
        ("/api%2Fv1", "/api%2Fv1"),  # reserved characters stay encoded
        ("/a%3fb%25c", "/a%3fb%25c"),
        ("/caf%C3%A9", "/café"),
    ],
)
def test_routing_path(escaped, routing):
    assert routing_path(escaped) == routing


@pytest.mark.parametrize("bad", ["/a%", "/a%2", "/a%zz"])
def test_bad_percent_encoding(bad):
    with pytest.raises(ValueError, match="percent-encoding"):
        routing_path(bad)
