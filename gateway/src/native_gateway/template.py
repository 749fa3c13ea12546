"""Render the Go-template subset Traefik's file provider applies to dynamic configuration files.

Traefik renders a dynamic file as a Go template (with the sprig functions) before parsing the YAML.
The routing table only needs ``{{ env "NAME" }}``, so that is all the native gateway renders; any
other action is refused with the line it appears on, so a template that would render differently here
and in Traefik can never start. An unset variable renders as the empty string, as sprig's ``env`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from native_gateway.errors import ConfigError

__all__ = ["render"]

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_ENV_CALL = re.compile(r'\s*env\s+"([A-Za-z_][A-Za-z0-9_]*)"\s*')


def render(text: str, env: Mapping[str, str], *, source: str = "<config>") -> tuple[str, set[str]]:
    """Return the rendered text and the names of referenced variables that were unset or empty."""
    unset: set[str] = set()
    problems: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        inner = match.group(1)
        call = _ENV_CALL.fullmatch(inner)
        if call is None:
            line = text.count("\n", 0, match.start()) + 1
            problems.append(
                f"{source}:{line}: unsupported template action {match.group(0)!r}; "
                'the native gateway renders only {{ env "NAME" }}'
            )
            return ""
        name = call.group(1)
        value = env.get(name, "")
        if not value:
            unset.add(name)
        return value

    rendered = _ACTION.sub(substitute, text)
    if "{{" in _ACTION.sub("", text):  # a lone "}}" is plain text to Go templates; a lone "{{" is not
        problems.append(f"{source}: unclosed template action")
    if problems:
        raise ConfigError(problems)
    return rendered, unset
