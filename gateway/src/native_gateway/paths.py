"""Request-path handling that must match Traefik byte for byte: sanitizing and the routing path.

Traefik v3 cleans every request path at the entry point (``sanitizePath``, on by default): ``.`` and
``..`` segments are resolved and repeated slashes collapsed, on the escaped path, keeping a trailing
slash; the cleaned path is what the upstream receives. Rules then match the *routing path*: the escaped
path with percent-encoded unreserved characters decoded and reserved ones (``%2F`` ...) left encoded,
so ``/api%2Fv1`` never matches ``PathPrefix(`/api/v1`)``.
"""

from __future__ import annotations

from typing import Final

__all__ = ["routing_path", "sanitize_path"]

_HEX: Final = frozenset("0123456789abcdefABCDEF")

_RESERVED: Final = frozenset(
    {
        "3A",
        "2F",
        "3F",
        "23",
        "5B",
        "5D",
        "40",
        "21",
        "24",
        "26",
        "27",
        "28",
        "29",
        "2A",
        "2B",
        "2C",
        "3B",
        "3D",
        "25",
    }
)


def sanitize_path(raw: str) -> str:
    """Go's ``URL.JoinPath()`` with no elements, as Traefik applies it: clean, keep a trailing slash."""
    if "/." not in raw and "//" not in raw:
        return raw or "/"
    segments: list[str] = []
    for segment in raw.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    cleaned = "/" + "/".join(segments)
    if raw.endswith("/") and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


def routing_path(escaped: str) -> str:
    """Decode percent-encodings except reserved characters; raise ``ValueError`` on a bad encoding.

    ``escaped`` holds the raw path bytes one character per byte (latin-1), as the request object keeps
    them; the result is UTF-8 text so rules written with non-ASCII characters compare as in Go.
    """
    if "%" not in escaped and escaped.isascii():
        return escaped
    out = bytearray()
    index = 0
    while index < len(escaped):
        char = escaped[index]
        if char != "%":
            out.append(ord(char) & 0xFF)
            index += 1
            continue
        code = escaped[index + 1 : index + 3]
        if len(code) != 2 or any(c not in _HEX for c in code):
            raise ValueError("invalid percent-encoding in URL path")
        if code.upper() in _RESERVED:
            out += escaped[index : index + 3].encode("ascii")
        else:
            out.append(int(code, 16))
        index += 3
    return out.decode("utf-8", "surrogateescape")
