"""``X-Client-Version``: the one place that decides which client versions the API still serves.

Every route is under ``/api/v1``; within v1 a client may say which build it is with
``X-Client-Version: <semver>``. The gateway (Traefik, in every mode) asks forwardAuth about every
routed request, so checking here covers every service at once: a version below
``MIN_CLIENT_VERSION`` gets 426 naming the minimum, a malformed one 400, no header at all is served.
Versions compare by Semantic Versioning 2.0.0 precedence (``1.0.0-rc.1 < 1.0.0``; build metadata
after ``+`` is ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Final

from common import BadRequest
from common.errors import DomainError

__all__ = ["ClientVersion", "ClientVersionPolicy", "UpgradeRequired"]

HEADER: Final = "X-Client-Version"
_MAX_LENGTH: Final = 64
# semver.org's own pattern: no leading zeros, dot-separated pre-release and build identifiers.
_SEMVER: Final = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)


class UpgradeRequired(DomainError):
    status_code: ClassVar[int] = 426
    default_detail: ClassVar[str] = "This client version is no longer supported; upgrade"


@dataclass(frozen=True, slots=True)
class ClientVersion:
    text: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> ClientVersion:
        """Raise ``ValueError`` unless ``text`` is a semantic version such as ``1.4.2`` or ``2.0.0-rc.1``."""
        match = _SEMVER.fullmatch(text) if len(text) <= _MAX_LENGTH else None
        if match is None:
            raise ValueError(f"not a semantic version: {text[:_MAX_LENGTH]!r}")
        major, minor, patch, prerelease = match.groups()
        return cls(
            text, int(major), int(minor), int(patch), tuple(prerelease.split(".")) if prerelease else ()
        )

    def _precedence(self) -> tuple[int, int, int, tuple[object, ...]]:
        # A release outranks its pre-releases; numeric identifiers rank below alphanumeric ones.
        if not self.prerelease:
            return (self.major, self.minor, self.patch, (1,))
        identifiers = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, (0, identifiers))

    def __lt__(self, other: ClientVersion) -> bool:
        return self._precedence() < other._precedence()


class ClientVersionPolicy:
    """Refuses clients older than ``minimum`` (``0.0.0``: every well-formed version is served)."""

    def __init__(self, minimum: str) -> None:
        self.minimum = ClientVersion.parse(minimum)

    def check(self, value: str | None) -> None:
        """Nothing for an absent or supported version; ``BadRequest`` or ``UpgradeRequired`` otherwise."""
        if value is None:
            return
        try:
            version = ClientVersion.parse(value.strip())
        except ValueError:
            raise BadRequest(
                f"{HEADER} must be a semantic version such as 1.4.2, got {value[:_MAX_LENGTH]!r}"
            ) from None
        if version < self.minimum:
            raise UpgradeRequired(
                f"Client version {version.text} is no longer supported; "
                f"upgrade to {self.minimum.text} or later",
                headers={"X-Min-Client-Version": self.minimum.text},
                extensions={"min_client_version": self.minimum.text},
            )
