"""Start a new service by copying one: ``python -m deploy.new_service bookmarks``.

Copies ``services/votes`` (or ``--from``) to ``services/<name>`` with every name of the template
renamed: the package (``votes_service`` -> ``bookmarks_service``), the distribution, the settings
and state classes, the public prefix ``/api/v1/votes``, the subscription, the tables. What it
writes is a working service, the template's behaviour under a new name: its tests pass, it
migrates and starts. Then you replace the template's feature with yours; ``docs/adding-a-service.md``
walks through that and through the places that list the services (workspace, stack, gateway,
compose, Kubernetes).
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["copy_service", "main"]

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"[a-z][a-z0-9]{1,30}")
#: Alembic revision ids here begin with their date (``20261123_votes_initial``); at most 32 characters.
REVISION = re.compile(r"\d{8}_")


def _defined_in_common() -> set[str]:
    """The names a service can import from ``common``: its modules and their top-level names."""
    names: set[str] = set()
    for path in (ROOT / "libs" / "common" / "src").rglob("*.py"):
        names.add(path.stem)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _renamer(old: str, new: str) -> Callable[[str], str]:
    """Rename every word holding ``old`` (``votes``, ``Votes``, ``VOTES``, ``votes_service``,
    ``ix_votes_post_id``), except the names ``common`` defines (``common.recent_votes``)."""
    forms = {old: new, old.capitalize(): new.capitalize(), old.upper(): new.upper()}
    inside = re.compile(
        "|".join(rf"(?<![a-z]){f}(?![a-z])" if f.islower() else rf"{f}(?![a-z])" for f in forms)
    )
    word = re.compile(rf"\w*(?:{'|'.join(forms)})\w*")
    kept = _defined_in_common() - set(forms)

    def rename_word(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in kept or REVISION.match(token):  # a migration's id is the database's, not a name
            return token
        return inside.sub(lambda m: forms[m.group(0)], token)

    return lambda text: word.sub(rename_word, text)


def _tracked(template: Path) -> list[Path]:
    listed = subprocess.run(  # noqa: S603 (fixed arguments)
        ["git", "ls-files", "-z", str(template.relative_to(ROOT))],  # noqa: S607 (git from PATH)
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [ROOT / p for p in listed.split("\0") if p]


def copy_service(name: str, *, template: str = "votes", into: Path = ROOT / "services") -> Path:
    """Write ``into/<name>``, a renamed copy of ``services/<template>``; return its folder."""
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a service name is 2 to 31 lower-case letters and digits")
    source = ROOT / "services" / template
    target = into / name
    if target.exists():
        raise FileExistsError(f"{target} exists")
    rename = _renamer(template, name)
    for path in _tracked(source):
        relative = path.relative_to(source)
        destination = target / rename(str(relative))
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            destination.write_text(rename(path.read_text()))
        except UnicodeDecodeError:  # a binary file: copied as it is
            shutil.copyfile(path, destination)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.new_service", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("name", help="the new service's name: lower-case letters and digits, e.g. bookmarks")
    parser.add_argument(
        "--from", dest="template", default="votes", help="the service to copy (default votes)"
    )
    args = parser.parse_args(argv)
    try:
        target = copy_service(args.name, template=args.template)
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target.relative_to(ROOT)}; next: docs/adding-a-service.md, step 2")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
