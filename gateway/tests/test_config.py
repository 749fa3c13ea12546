"""Loading the dynamic file: refusals name the key path; priorities and defaults follow Traefik."""

from __future__ import annotations

import pytest

from native_gateway.app import create_app
from native_gateway.config import load_config
from native_gateway.errors import ConfigError

ENV = {"AUTH_URL": "http://127.0.0.1:1", "POSTS_URL": "http://127.0.0.1:2", "VOTES_URL": "http://127.0.0.1:3"}

SERVICE = """
  services:
    s:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:9"}]
"""


def _refusal(write_config, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        create_app(write_config(text), env=ENV, access_log=None)
    return str(caught.value)


def test_repository_routing_table_loads(routes_path):
    config = load_config(routes_path, ENV)
    names = [router.name for router in config.routers]
    assert names == ["posts-media-upload", "auth", "docs", "posts", "votes"]
    assert config.services["auth"].servers == ("http://127.0.0.1:1",)
    assert config.services["posts"].health_check is not None


def test_unknown_key_is_refused(write_config):
    message = _refusal(
        write_config,
        'http:\n  routers:\n    r: {rule: "Path(`/`)", service: s, tls: {certResolver: le}}\n' + SERVICE,
    )
    assert "http.routers.r.tls: unsupported key 'tls'" in message


def test_unknown_top_level_section_is_refused(write_config):
    message = _refusal(write_config, "tcp:\n  routers: {}\n")
    assert "tcp: unsupported key 'tcp'" in message


def test_unknown_middleware_type_is_refused(write_config):
    message = _refusal(
        write_config,
        "http:\n  middlewares:\n    auth:\n      basicAuth: {users: ['a:b']}\n",
    )
    assert "http.middlewares.auth.basicAuth: unsupported key 'basicAuth'" in message
    assert "forwardAuth" in message  # the message lists what is implemented


def test_unknown_option_of_a_known_middleware_is_refused(write_config):
    message = _refusal(
        write_config,
        "http:\n  middlewares:\n    rl:\n"
        "      rateLimit: {average: 1, sourceCriterion: {requestHost: true}}\n",
    )
    assert "http.middlewares.rl.rateLimit.sourceCriterion: unsupported key" in message


def test_two_types_in_one_middleware_are_refused(write_config):
    message = _refusal(
        write_config,
        "http:\n  middlewares:\n    m:\n"
        "      buffering: {maxRequestBodyBytes: 1}\n      stripPrefix: {prefixes: [/a]}\n",
    )
    assert "http.middlewares.m: needs exactly one middleware type" in message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("Host(`example.com`)", "matcher 'Host' is not implemented"),
        ("PathPrefix(`/a`) && Method(`GET`)", "matcher 'Method' is not implemented"),
        ("!PathPrefix(`/a`)", "negation '!' is not implemented"),
        ("PathPrefix(`/a`", "expected ')'"),
        ("PathPrefix(`a`)", "does not start with a '/'"),
        ("PathPrefix(`/a`, `/b`)", "takes exactly one argument"),
        ("PathRegexp(`[`)", "not a valid regular expression"),
    ],
)
def test_unsupported_or_bad_rules_are_refused(write_config, rule, expected):
    message = _refusal(write_config, f"http:\n  routers:\n    r: {{rule: '{rule}', service: s}}\n" + SERVICE)
    assert "http.routers.r.rule:" in message
    assert expected in message


@pytest.mark.parametrize(
    "action",
    ['{{ env "A" | default "x" }}', "{{ .Name }}", '{{ requiredEnv "A" }}', '{{- env "A" -}}', "{{ env A }}"],
)
def test_template_functions_other_than_env_are_refused(write_config, action):
    message = _refusal(
        write_config,
        f"http:\n  services:\n    s:\n      loadBalancer:\n        servers: [{{url: '{action}'}}]\n",
    )
    assert "unsupported template action" in message
    assert ":5:" in message  # the line it is on


def test_unset_upstream_variable_is_named(write_config, routes_path):
    with pytest.raises(ConfigError) as caught:
        load_config(routes_path, {"AUTH_URL": "http://127.0.0.1:1"})
    message = str(caught.value)
    assert "http.services.posts.loadBalancer.servers[0].url: '' is not an http(s) base URL" in message
    assert "unset: POSTS_URL, VOTES_URL" in message


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "  routers:\n    r: {rule: 'Path(`/`)', service: nope}\n",
            "http.routers.r.service: unknown service 'nope'",
        ),
        (
            "  routers:\n    r: {rule: 'Path(`/`)', service: s, middlewares: [ghost]}\n",
            "http.routers.r.middlewares[0]: unknown middleware 'ghost'",
        ),
        (
            "  middlewares:\n    fa:\n      forwardAuth: {address: 'http://a/x', trustForwardHeader: true}\n",
            "http.middlewares.fa.forwardAuth: trustForwardHeader: true is not implemented",
        ),
        (
            "  middlewares:\n    h:\n      headers: {frameDeny: false}\n",
            "headers middleware configures no header",
        ),
        (
            "  middlewares:\n    h:\n"
            "      headers: {contentSecurityPolicy: \"default-src 'self'\\r\\nX-Evil: 1\"}\n",
            "http.middlewares.h.headers: invalid contentSecurityPolicy",
        ),
    ],
)
def test_bad_references_and_values_are_refused(write_config, snippet, expected):
    assert expected in _refusal(write_config, "http:\n" + snippet + SERVICE)


def test_duplicate_keys_are_refused(write_config):
    message = _refusal(write_config, "http:\n  routers: {}\n  routers: {}\n")
    assert "duplicate key 'routers'" in message


def test_default_priority_is_the_rule_length_and_orders_routers(write_config):
    path = write_config(
        "http:\n  routers:\n"
        "    short: {rule: 'PathPrefix(`/a`)', service: s}\n"
        "    long: {rule: 'PathPrefix(`/a/b/c`)', service: s}\n"
        "    pinned: {rule: 'PathPrefix(`/`)', service: s, priority: 1000}\n" + SERVICE
    )
    routers = load_config(path, ENV).routers
    assert [(r.name, r.priority) for r in routers] == [
        ("pinned", 1000),
        ("long", len("PathPrefix(`/a/b/c`)")),
        ("short", len("PathPrefix(`/a`)")),
    ]


def test_routers_on_other_entry_points_are_not_served(write_config):
    path = write_config(
        "http:\n  routers:\n    r: {rule: 'PathPrefix(`/`)', service: s, entryPoints: [metrics]}\n" + SERVICE
    )
    assert load_config(path, ENV).routers == ()


def test_traefik_defaults_apply(write_config):
    path = write_config("http:" + SERVICE)
    service = load_config(path, ENV).services["s"]
    assert service.pass_host_header is True
    assert service.health_check is None
