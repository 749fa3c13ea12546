"""Keep the kustomize copy of the Traefik configuration identical to ``gateway/traefik``.

kustomize refuses files outside a kustomization's folder, and ``kubectl apply -k`` cannot lift that
restriction, so ``deploy/k8s/base/gateway/traefik`` holds byte-identical copies of ``gateway/traefik``
(the source of truth, also mounted by compose). ``make k8s`` and the tests fail on any drift.

    python -m deploy.gateway_sync          # copy gateway/traefik over the kustomize copies
    python -m deploy.gateway_sync --check  # exit 1 and list the differences
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import yaml

from deploy.render import K8S_DIR, REPO_ROOT

__all__ = ["COPY_DIR", "SOURCE_DIR", "drift", "source_files", "sync"]

SOURCE_DIR = REPO_ROOT / "gateway" / "traefik"
COPY_DIR = K8S_DIR / "base" / "gateway" / "traefik"
KUSTOMIZATION = COPY_DIR.parent / "kustomization.yaml"


def _show(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def source_files() -> list[Path]:
    """traefik.yml and every dynamic file, relative to ``gateway/traefik``."""
    files = [Path("traefik.yml")]
    files += sorted(p.relative_to(SOURCE_DIR) for p in (SOURCE_DIR / "dynamic").glob("*.y*ml"))
    return files


def _copied_files() -> list[Path]:
    return sorted(p.relative_to(COPY_DIR) for p in COPY_DIR.rglob("*") if p.is_file())


def drift() -> list[str]:
    """What differs between gateway/traefik and the kustomize copies (empty when identical)."""
    problems: list[str] = []
    wanted = source_files()
    for rel in wanted:
        source, copy = SOURCE_DIR / rel, COPY_DIR / rel
        if not source.is_file():
            problems.append(f"missing source gateway/traefik/{rel}")
        elif not copy.is_file():
            problems.append(f"missing copy {_show(copy)}")
        elif source.read_bytes() != copy.read_bytes():
            problems.append(f"{_show(copy)} differs from gateway/traefik/{rel}")
    problems += [f"stale copy {_show(COPY_DIR / rel)}" for rel in _copied_files() if rel not in wanted]
    listed = set(_generator_files())
    expected = {f"traefik/{rel}" for rel in wanted}
    problems += [f"{_show(KUSTOMIZATION)} does not list {f}" for f in sorted(expected - listed)]
    problems += [f"{_show(KUSTOMIZATION)} lists unknown {f}" for f in sorted(listed - expected)]
    return problems


def _generator_files() -> list[str]:
    """Files named by the gateway kustomization's configMapGenerators."""
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    return [
        f for generator in kustomization.get("configMapGenerator", []) for f in generator.get("files", [])
    ]


def sync() -> list[Path]:
    """Make the copies identical to the sources; returns the files written or removed."""
    changed: list[Path] = []
    wanted = source_files()
    for rel in wanted:
        source, copy = SOURCE_DIR / rel, COPY_DIR / rel
        if copy.is_file() and copy.read_bytes() == source.read_bytes():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        changed.append(copy)
    for rel in _copied_files():
        if rel not in wanted:
            (COPY_DIR / rel).unlink()
            changed.append(COPY_DIR / rel)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report differences")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: uv run python -m deploy.gateway_sync", file=sys.stderr)
        return 1 if problems else 0
    for path in sync():
        print(f"updated {_show(path)}")
    problems = drift()  # what copying cannot fix: the kustomization's list of files
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
