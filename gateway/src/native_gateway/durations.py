"""Parse Traefik duration values: Go duration strings (``"1m30s"``, ``"250ms"``) or bare seconds.

Traefik's ``ptypes.Duration`` accepts an integer as a number of seconds and otherwise Go's
``time.ParseDuration`` syntax; the native gateway accepts exactly the same, and formats a delay the
way Go's ``Duration.String`` does for the ``X-Retry-In`` header.
"""

from __future__ import annotations

import re

__all__ = ["format_go_duration", "parse_duration"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(value: object) -> float:
    """Return seconds; raise ``ValueError`` for anything Traefik would not accept."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not a duration")
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        part = _PART.match(text, pos)
        if part is None:
            raise ValueError(f"{value!r} is not a Go duration (e.g. 30s, 250ms, 1m30s)")
        total += float(part.group(1)) * _UNITS[part.group(2)]
        pos = part.end()
    return total


def format_go_duration(seconds: float) -> str:
    """Format like Go's ``time.Duration.String`` for sub-minute values (``1.5s``, ``333.333ms``)."""
    nanoseconds = round(seconds * 1e9)  # a Go Duration is a whole number of nanoseconds
    if nanoseconds <= 0:
        return "0s"
    for unit, scale, digits in (("s", 10**9, 9), ("ms", 10**6, 6), ("µs", 10**3, 3)):
        if nanoseconds >= scale:
            whole, fraction = divmod(nanoseconds, scale)
            decimals = str(fraction).rjust(digits, "0").rstrip("0")
            return f"{whole}.{decimals}{unit}" if decimals else f"{whole}{unit}"
    return f"{nanoseconds}ns"
