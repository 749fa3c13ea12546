"""The one exception the gateway raises about its configuration.

Every refusal (unknown key, unknown middleware type, unknown rule matcher, unknown template function,
bad value) is a ``ConfigError`` whose message names the key path, so the gateway refuses to start with
a message an operator can act on instead of silently ignoring what it does not implement.
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """The dynamic configuration uses something the native gateway does not implement, or is invalid."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return "invalid gateway configuration:\n" + "\n".join(f"  - {p}" for p in self.problems)
