"""A small Dockerfile reader: instructions with continuations joined, grouped by build stage.

The repository has one ``Dockerfile`` (at its root) for every service: ``--build-arg SERVICE=<svc>``
picks the service. :func:`service_image` reads it as that build sees it, with the build arguments
substituted where they are in scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from deploy.render import REPO_ROOT

__all__ = ["DOCKERFILE", "Instruction", "dockerfile_instructions", "service_image", "stages"]

#: The one Dockerfile; compose, CI and the docs build it with ``--build-arg SERVICE=<svc>``.
DOCKERFILE = REPO_ROOT / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int  # index of the FROM it belongs to (-1 before the first)


def dockerfile_instructions(path: Path, build_args: Mapping[str, str] | None = None) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped.

    With ``build_args``, ``$NAME`` and ``${NAME}`` of every ``ARG`` are replaced by its value where the
    ``ARG`` is in scope, as Docker does: a global ``ARG`` (before the first ``FROM``) only in ``FROM``
    lines, a stage's ``ARG`` from its declaration to the end of that stage (in ``RUN`` and in an exec-form
    ``CMD`` as well, where the shell finds the same value in the environment).
    """
    instructions: list[Instruction] = []
    stage, pending = -1, ""
    global_args: dict[str, str] = {}
    scope: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        keyword, arguments = keyword.upper(), arguments.strip()
        if keyword == "FROM":
            stage += 1
            scope = {}
            arguments = _substitute(arguments, global_args)
        elif build_args is not None:
            arguments = _substitute(arguments, scope)
        if keyword == "ARG" and build_args is not None:
            name, has_default, default = arguments.partition("=")
            if stage < 0:
                global_args[name] = build_args.get(name, default if has_default else "")
            else:
                scope[name] = build_args.get(name, default if has_default else global_args.get(name, ""))
        instructions.append(Instruction(keyword, arguments, stage))
    return instructions


def service_image(service: str) -> list[Instruction]:
    """The instructions of ``docker build --build-arg SERVICE=<service>`` of :data:`DOCKERFILE`."""
    return dockerfile_instructions(DOCKERFILE, {"SERVICE": service})


def _substitute(text: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    count = max(i.stage for i in instructions) + 1
    return [[i for i in instructions if i.stage == n] for n in range(count)]
