"""Traefik duration values and Go's duration formatting."""

from __future__ import annotations

import pytest

from native_gateway.durations import format_go_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (5, 5.0),
        ("5", 5.0),
        ("5s", 5.0),
        ("250ms", 0.25),
        ("1m30s", 90.0),
        ("1.5h", 5400.0),
        ("0", 0.0),
        (0.5, 0.5),
    ],
)
def test_parse(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "5 seconds", "s", "-1s", True, None, -3, "1d"])
def test_parse_refuses(value):
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"), [(1.5, "1.5s"), (0.0033333333, "3.333333ms"), (2.0, "2s"), (0.0000015, "1.5µs")]
)
def test_format(seconds, text):
    assert format_go_duration(seconds) == text
