"""One environment per service, made the way its image makes it: ``uv sync --package <svc>-service --no-dev``.

The workspace's ``.venv`` holds every package at once, so a service run from it can import what its
own package never declares (the worker once ran media jobs on S3 from there while its image had no
``aiobotocore``). The native stack and the tests therefore run each service from its own environment
under ``.venvs/<service>``, which holds that service's locked dependencies and nothing else: no dev
tools, no other service, and not the packages of the base interpreter (uv makes it without system
site packages).

Editable installs, unlike the image's ``--no-editable``. Measured on this repository (uv 0.13.9): a sync
with nothing to do takes 0.02 s either way, but a non-editable install goes stale when source changes
(uv rebuilds a workspace member only when its ``pyproject.toml`` changes), so keeping it current would
mean ``--reinstall-package`` for the service and ``common`` on every start, about 0.8 s per service
(3 s or more for the stack, on every ``make dev`` and every test run). The editable install puts only
the package's own ``src`` folders on ``sys.path`` (``libs/common/src`` and ``services/<svc>/src``),
so what a service can import is the same as in its image.

Standard library only: ``deploy/native/stack.py`` runs as a script and may load this file by path.

    python -m deploy.native.envs              # every service
    python -m deploy.native.envs worker       # just the worker
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

__all__ = [
    "ENVS_DIR",
    "ROOT",
    "SERVICES",
    "SyncError",
    "env_dir",
    "python",
    "service_environ",
    "sync",
    "sync_all",
    "uv_binary",
]

ROOT = Path(__file__).resolve().parents[2]
#: Ignored by git; one folder per service.
ENVS_DIR = ROOT / ".venvs"
SERVICES = ("auth", "posts", "votes", "worker")

#: Variables that would let a service's interpreter see another environment's packages or code.
_LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "CONDA_PREFIX")


class SyncError(RuntimeError):
    """``uv sync`` failed, or uv is not installed."""


def _check(service: str) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")


def uv_binary() -> str:
    """uv as the Makefile finds it: on ``PATH``, else ``~/.local/bin/uv`` (where ``make install`` puts it)."""
    found = shutil.which("uv")
    if found:
        return found
    fallback = Path.home() / ".local" / "bin" / "uv"
    if fallback.is_file() and os.access(fallback, os.X_OK):
        return str(fallback)
    raise SyncError("uv is not installed: run `make install`")


def env_dir(service: str) -> Path:
    """``.venvs/<service>``, synced or not."""
    _check(service)
    return ENVS_DIR / service


def python(service: str) -> Path:
    """The interpreter of an environment :func:`sync` already made; ``FileNotFoundError`` if none."""
    path = env_dir(service) / "bin" / "python"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m deploy.native.envs {service}`")
    return path


def service_environ(service: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) for a process of ``service``'s environment.

    Drops what would put other packages on its path (``PYTHONPATH``, another ``VIRTUAL_ENV``, ...) and
    puts the environment's ``bin`` first on ``PATH``, as the image does, so ``alembic`` or ``uvicorn``
    called by name are this service's own. ``PYTHONSAFEPATH`` keeps the working folder off
    ``sys.path`` (``python -m`` would add it): a process started in the checkout cannot import its
    top-level folders (``tests``, ``deploy``, ``bench``), which the image does not hold.
    """
    environ = {k: v for k, v in (os.environ if base is None else base).items() if k not in _LEAKY}
    environ["PYTHONSAFEPATH"] = "1"
    bin_dir = env_dir(service) / "bin"
    environ["VIRTUAL_ENV"] = str(env_dir(service))
    environ["PATH"] = os.pathsep.join([str(bin_dir), *filter(None, [environ.get("PATH")])])
    return environ


@contextlib.contextmanager
def _locked(service: str) -> Iterator[None]:
    """One sync of an environment at a time (a dev stack and a test run may start together)."""
    ENVS_DIR.mkdir(exist_ok=True)
    with (ENVS_DIR / f".{service}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sync(service: str) -> Path:
    """Make or refresh ``.venvs/<service>`` from ``uv.lock``; returns its interpreter.

    ``--frozen``: the lock is used as written (``make install`` syncs the same way). uv's sync is
    exact, so a package added to the environment by hand is removed again.
    """
    _check(service)
    environ = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    environ["UV_PROJECT_ENVIRONMENT"] = str(env_dir(service))
    command = [
        uv_binary(),
        "sync",
        "--frozen",
        "--no-dev",
        "--package",
        f"{service}-service",
        "--quiet",
    ]
    with _locked(service):
        result = subprocess.run(  # noqa: S603 (uv, with fixed arguments)
            command, cwd=ROOT, env=environ, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise SyncError(
            f"{' '.join(command)} failed for {service} ({result.returncode}):\n{result.stderr.strip()}"
        )
    return python(service)


def sync_all(services: Sequence[str] = SERVICES) -> dict[str, Path]:
    """:func:`sync` each service in turn; their interpreters by service."""
    return {service: sync(service) for service in services}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.native.envs",
        description="Make or refresh each service's own environment under .venvs/ and print its interpreter.",
    )
    parser.add_argument("services", nargs="*", metavar="service", help=f"any of {', '.join(SERVICES)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.services) - set(SERVICES))
    if unknown:
        parser.error(f"unknown service {', '.join(unknown)}; expected any of {', '.join(SERVICES)}")
    try:
        pythons = sync_all(args.services or SERVICES)
    except SyncError as exc:
        print(exc, file=sys.stderr)
        return 1
    for service, path in pythons.items():
        print(f"{service}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
