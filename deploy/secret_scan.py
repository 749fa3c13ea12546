"""Find literal secrets in the deployment files a person commits (not in Python, not in rendered output).

Flags private keys, credential-named settings with a literal value, credentials inside URLs, long
base64 or hex blobs, and Secret objects. References (``${VAR}``, ``$(VAR)``, ``$var``), structural
references (``{name: ..., key: ...}``) and the ``change-me`` placeholder are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from deploy.render import REPO_ROOT

__all__ = ["line_problems", "scan", "scanned_files"]

PLACEHOLDER = "change-me"
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# A key that names a credential, then ':' or '=' right after it (YAML, env files, flags), then its value.
_SETTING = re.compile(
    r"(?i)(?<![A-Za-z0-9_{$])([A-Za-z0-9_.-]*(?:password|passwd|pass|secret|token|secret_access_key|private_key|api_key))"
    r"[\"']?[:=]\s*(.*)$"
)
_URL_CREDENTIALS = re.compile(r"://[^:/@\s'\"]*:([^@\s'\"]+)@")
_BLOB = re.compile(r"(?<![A-Za-z0-9+/_.-])(?:[A-Za-z0-9+/]{40,}={0,2}|[0-9a-fA-F]{32,})(?![A-Za-z0-9+/_-])")
_SUFFIXES = {".yaml", ".yml", ".json", ".sh", ".md", ".example", ".conf", ".ini", ".toml"}
_NAMES = {"Dockerfile", "enabled_plugins", ".env.example", ".dockerignore"}


def _is_harmless(value: str) -> bool:
    value = value.strip().strip("\"'").lstrip("\\")
    return (
        not value
        # ${VAR}, $(VAR), $var; psql's :'var'; {name: .., key: ..}; a list; a comment
        or value.startswith(("$", ":'", ':"', "{", "[", "#", "*"))
        or value.lower() in ("true", "false", "null", "~")
        or value.isdigit()
        or PLACEHOLDER in value
    )


def line_problems(line: str) -> Iterator[str]:
    if _PRIVATE_KEY.search(line):
        yield "a private key"
    for match in _SETTING.finditer(line):
        if not _is_harmless(match.group(2)):
            yield f"{match.group(1)} has a literal value"
    for match in _URL_CREDENTIALS.finditer(line):
        if not _is_harmless(match.group(1)):
            yield "a URL with a literal password"
    if _BLOB.search(line):
        yield "a long base64 or hex blob"


def scanned_files() -> list[Path]:
    """The deployment files: deploy/ (but Python and local tools), the Dockerfile, CI, .env.example, docs."""
    files = [
        p
        for p in (REPO_ROOT / "deploy").rglob("*")
        if p.is_file()
        and ".tools" not in p.parts
        and "__pycache__" not in p.parts
        and (p.suffix in _SUFFIXES or p.name in _NAMES)
    ]
    files += [
        REPO_ROOT / name
        for name in (
            "Dockerfile",
            ".env.example",
            ".dockerignore",
            ".github/workflows/ci.yml",
            "docs/deploy.md",
        )
    ]
    return sorted(p for p in files if p.is_file())


def scan(files: list[Path] | None = None) -> list[str]:
    problems: list[str] = []
    for path in scanned_files() if files is None else files:
        text = path.read_text()
        where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        for number, line in enumerate(text.splitlines(), start=1):
            problems += [f"{where}:{number}: {problem}" for problem in line_problems(line)]
        if path.suffix in (".yaml", ".yml"):
            try:
                documents = list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
            problems += [
                f"{where}: commits a Secret object"
                for document in documents
                if isinstance(document, dict) and document.get("kind") == "Secret"
            ]
    return problems
