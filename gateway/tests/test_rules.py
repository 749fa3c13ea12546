"""Rule parsing: Traefik's syntax and precedence for the path matchers."""

from __future__ import annotations

import pytest

from native_gateway.rules import RuleError, compile_rule, matchers_in


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("Path(`/a`)", "/a", True),
        ("Path(`/a`)", "/a/", False),
        ("PathPrefix(`/api/v1/posts`)", "/api/v1/posts/1", True),
        ("PathPrefix(`/api/v1/posts`)", "/api/v1/postsX", True),  # a plain prefix, as in Traefik
        ("PathPrefix(`/api/v1/posts`)", "/api/v1/post", False),
        ('PathPrefix("/q")', "/q/x", True),
        ("PathRegexp(`/media$`)", "/api/v1/posts/1/media", True),  # unanchored, like Go's MatchString
        ("PathRegexp(`^/media$`)", "/api/v1/posts/1/media", False),
        ("Path(`/a`) || Path(`/b`)", "/b", True),
        ("PathPrefix(`/a`) && PathRegexp(`x$`)", "/a/x", True),
        ("PathPrefix(`/a`) && PathRegexp(`x$`)", "/a/y", False),
        # && binds tighter than ||, as in Go expressions
        ("Path(`/c`) || PathPrefix(`/a`) && Path(`/b`)", "/c", True),
        ("Path(`/c`) || PathPrefix(`/a`) && Path(`/b`)", "/a/z", False),
        ("(Path(`/c`) || PathPrefix(`/a`)) && PathRegexp(`z`)", "/a/z", True),
    ],
)
def test_matching(rule, path, expected):
    assert compile_rule(rule)(path) is expected


def test_matchers_in_lists_every_matcher():
    assert matchers_in("(Path(`/a`) || PathPrefix(`/b`)) && PathRegexp(`c`)") == [
        "Path",
        "PathPrefix",
        "PathRegexp",
    ]


@pytest.mark.parametrize(
    "rule", ["", "Path(`/a`) ||", "Path(/a)", "Path(`/a`) Path(`/b`)", "Query(`a`, `b`)"]
)
def test_malformed_or_unsupported_rules_raise(rule):
    with pytest.raises(RuleError):
        compile_rule(rule)
