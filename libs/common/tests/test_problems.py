"""RFC 9457 problem bodies (common.problems) and Idempotency-Key syntax (common.idempotency)."""

from __future__ import annotations

import json

import pytest

from common.idempotency import InvalidIdempotencyKey, parse_key
from common.logging import request_id_var
from common.problems import KINDS, problem


def test_a_problem_names_its_kind_its_request_and_echoes_retry_after() -> None:
    token = request_id_var.set("req-42")
    try:
        response = problem(429, "Slow down", headers={"Retry-After": "9"})
    finally:
        request_id_var.reset(token)
    assert response.media_type == "application/problem+json"
    assert response.headers["retry-after"] == "9"
    assert json.loads(bytes(response.body)) == {
        "type": "tag:social-posts,2026:problems/too-many-requests",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Slow down",
        "instance": "req-42",
        "retry_after": 9,
    }


def test_a_status_without_a_kind_is_about_blank_with_its_reason_phrase() -> None:
    body = json.loads(bytes(problem(418, "No coffee").body))
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "I'm a Teapot", 418)


def test_every_kind_has_an_error_status() -> None:
    assert all(400 <= kind.status < 600 for kind in KINDS.values())


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (None, None),
        ("abc-123", "abc-123"),
        ('"abc-123"', "abc-123"),
        ("k" * 255, "k" * 255),
        ("a:b/c=d", "a:b/c=d"),
    ],
)
def test_an_idempotency_key_is_taken_bare_or_as_a_structured_field_string(
    header: str | None, key: str | None
) -> None:
    assert parse_key(header) == key


@pytest.mark.parametrize(
    "header", ["", '""', "two words", 'a"b', "a\\b", "k" * 256, "caf\u00e9", "tab\there"]
)
def test_a_malformed_idempotency_key_is_a_400(header: str) -> None:
    with pytest.raises(InvalidIdempotencyKey) as refused:
        parse_key(header)
    assert refused.value.status_code == 400
    assert "Idempotency-Key" in refused.value.detail
