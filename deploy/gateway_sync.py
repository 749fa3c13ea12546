"""Keep every copy of the Traefik configuration in step with ``gateway/traefik``.

kustomize refuses files outside a kustomization's folder, and ``kubectl apply -k`` cannot lift that
restriction, so ``deploy/k8s/base/gateway/traefik`` holds byte-identical copies of ``gateway/traefik``
(the source of truth). ``make k8s`` and the tests fail on any drift.

The modes that trace write a static file of their own (``traced_files``): Traefik reads its static
configuration from one source only (a file, or flags, or the environment), so the ``tracing`` section
cannot be added beside the file at start. Each is ``gateway/traefik/traefik.yml`` unchanged followed
by the section that ``deploy/native/traefik.py`` adds natively, made from the OTEL_* settings that
mode gives its services: compose's defaults (``deploy/compose/traefik/traefik.yml``), and each overlay
whose ``common-config`` names an OTLP endpoint (``deploy/k8s/overlays/<name>/traefik/traefik.yml``,
replacing the base's ``traefik-static`` ConfigMap).

    python -m deploy.gateway_sync          # rewrite the copies and the traced static files
    python -m deploy.gateway_sync --check  # exit 1 and list the differences
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from deploy.native import traefik
from deploy.render import COMPOSE_FILE, K8S_DIR, OVERLAYS, REPO_ROOT, load_compose

__all__ = [
    "COMPOSE_TRACED",
    "COPY_DIR",
    "OVERLAY_TRACED",
    "SOURCE_DIR",
    "compose_environ",
    "drift",
    "overlay_environ",
    "source_files",
    "sync",
    "traced_files",
]

SOURCE_DIR = REPO_ROOT / "gateway" / "traefik"
COPY_DIR = K8S_DIR / "base" / "gateway" / "traefik"
KUSTOMIZATION = COPY_DIR.parent / "kustomization.yaml"
#: The static file compose mounts: gateway/traefik/traefik.yml with compose's tracing section.
COMPOSE_TRACED = COMPOSE_FILE.parent / "traefik" / "traefik.yml"
#: Where an overlay that traces keeps its static file (kustomize reads only inside its folder).
OVERLAY_TRACED = Path("traefik") / "traefik.yml"
_WRITER = "deploy/gateway_sync.py (make k8s-sync)"


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
    return problems + _traced_drift()


def _compose_default(value: object) -> str:
    """``${VAR:-default}`` -> ``default``; a plain value as it is (what compose uses with no .env entry)."""
    text = str(value)
    match = re.fullmatch(r"\$\{\w+:?-(.*)\}", text)
    return match.group(1) if match else text


def compose_environ() -> dict[str, str]:
    """The settings every compose service gets (``x-common-env``), with .env left at its defaults."""
    common: dict[str, Any] = load_compose()["x-common-env"]
    return {key: _compose_default(value) for key, value in common.items()}


def _literals(kustomization: Path, name: str) -> dict[str, str]:
    data = yaml.safe_load(kustomization.read_text())
    found: dict[str, str] = {}
    for generator in data.get("configMapGenerator", []):
        if generator.get("name") == name:
            found.update(literal.split("=", 1) for literal in generator.get("literals", []))
    return found


def overlay_environ(overlay: str) -> dict[str, str]:
    """``common-config`` as an overlay renders it: the base's literals, merged with the overlay's."""
    base = _literals(K8S_DIR / "base" / "kustomization.yaml", "common-config")
    return base | _literals(K8S_DIR / "overlays" / overlay / "kustomization.yaml", "common-config")


def traced_files() -> dict[Path, str]:
    """Each traced static file and what it must hold (modes with no OTLP endpoint have none)."""
    wanted = {COMPOSE_TRACED: traefik.traced_static_text(compose_environ(), written_by=_WRITER)}
    for overlay in OVERLAYS:
        environ = overlay_environ(overlay)
        if traefik.tracing_section(environ) is not None:
            path = K8S_DIR / "overlays" / overlay / OVERLAY_TRACED
            wanted[path] = traefik.traced_static_text(environ, written_by=_WRITER)
    return wanted


def _traced_drift() -> list[str]:
    problems: list[str] = []
    wanted = traced_files()
    for path, text in wanted.items():
        if not path.is_file():
            problems.append(f"missing {_show(path)}")
        elif path.read_text() != text:
            problems.append(f"{_show(path)} differs from gateway/traefik/traefik.yml + its tracing section")
    for overlay in OVERLAYS:
        path = K8S_DIR / "overlays" / overlay / OVERLAY_TRACED
        kustomization = path.parents[1] / "kustomization.yaml"
        generators = yaml.safe_load(kustomization.read_text()).get("configMapGenerator", [])
        replaces = any(
            g.get("name") == "traefik-static"
            and g.get("behavior") == "replace"
            and g.get("files") == [str(OVERLAY_TRACED)]
            for g in generators
        )
        if path in wanted and not replaces:
            problems.append(f"{_show(kustomization)} does not replace traefik-static with {OVERLAY_TRACED}")
        if path not in wanted and (path.exists() or replaces):
            problems.append(f"stale {_show(path)}: overlays/{overlay} names no OTLP endpoint")
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
    wanted_traced = traced_files()
    for path, text in wanted_traced.items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    for overlay in OVERLAYS:  # an overlay that no longer names an endpoint
        stale = K8S_DIR / "overlays" / overlay / OVERLAY_TRACED
        if stale not in wanted_traced and stale.exists():
            stale.unlink()
            changed.append(stale)
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
    problems = drift()  # what writing cannot fix: the kustomizations' lists of files
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
