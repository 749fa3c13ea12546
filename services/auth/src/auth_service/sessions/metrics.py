"""Auth's own metric (AGENTS.md): sign-ins by outcome."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["LOGINS"]

LOGINS = Counter("auth_logins_total", "Sign-in attempts by outcome", ["outcome"])
for _outcome in ("ok", "failed", "rate_limited"):
    LOGINS.labels(_outcome)  # present at 0 from the start, so rates work before the first event
