"""Files the repository keeps but a program makes: write them, or (``--check``) list what drifted.

A generator describes what it makes as :class:`Wanted`: every file's content with what it is made
from (for the messages), and the files it once made and makes no more. :func:`write` brings the tree
in line, :func:`differences` lists what is out of line, and :func:`main` is the command line both
``python -m deploy.gateway_sync`` and ``python -m deploy.sdk`` share: write (``make k8s-sync``,
``make sdk``), or with ``--check`` write nothing and exit 1 on any difference.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy.render import REPO_ROOT

__all__ = ["File", "Wanted", "differences", "main", "show", "write"]


@dataclass(frozen=True)
class File:
    content: str | bytes
    #: What the file is made from, as the messages name it (``gateway/traefik/traefik.yml``).
    source: str

    def matches(self, path: Path) -> bool:
        if not path.is_file():
            return False
        if isinstance(self.content, bytes):
            return path.read_bytes() == self.content
        return path.read_text() == self.content


@dataclass(frozen=True)
class Wanted:
    files: Mapping[Path, File]
    #: Files that were made once and are made no more (removed by :func:`write`).
    stale: Sequence[Path] = field(default_factory=list)


def show(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def differences(wanted: Wanted) -> list[str]:
    """What differs from ``wanted`` (empty when the tree holds exactly it)."""
    problems: list[str] = []
    for path, file in wanted.files.items():
        if not path.is_file():
            problems.append(f"missing {show(path)} (made from {file.source})")
        elif not file.matches(path):
            problems.append(f"{show(path)} differs from {file.source}")
    problems += [
        f"stale copy {show(path)}: nothing makes it any more" for path in wanted.stale if path.exists()
    ]
    return problems


def write(wanted: Wanted) -> list[Path]:
    """Write every file that differs and remove the stale ones; returns the paths changed."""
    changed: list[Path] = []
    for path, file in wanted.files.items():
        if file.matches(path):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(file.content, bytes):
            path.write_bytes(file.content)
        else:
            path.write_text(file.content)
        changed.append(path)
    for path in wanted.stale:
        if path.exists():
            path.unlink()
            changed.append(path)
    return changed


def main(
    argv: list[str] | None,
    *,
    description: str,
    wanted: Callable[[], Wanted],
    fix: str,
    unfixable: Callable[[], list[str]] = list,
) -> int:
    """Write what ``wanted`` says, or with ``--check`` list the differences; exit 1 on any.

    ``unfixable`` lists what writing cannot repair (reported in both modes); ``fix`` is the command
    that a failed check tells the developer to run.
    """
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 and list the differences")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(wanted()) + unfixable()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"run: {fix}", file=sys.stderr)
        return 1 if problems else 0
    for path in write(wanted()):
        print(f"updated {show(path)}")
    problems = unfixable()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0
