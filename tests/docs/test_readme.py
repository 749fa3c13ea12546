"""The docs say what the repository does: commands, URLs, ports, verbs and the files they point to.

Fast and offline (no stack): what ``make dev`` prints is ``deploy/native/stack.py``'s ``banner``, the
ports are its ``StackConfig``'s, the routes are the routers of ``gateway/traefik/dynamic/routes.yml``,
the compose ports are ``deploy/compose/compose.yaml``'s, the verbs are what ``make help`` lists. The
end-to-end suite checks the same things on a running stack (``tests/e2e/test_make_dev.py``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from deploy.native import stack, traefik

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = [
    ROOT / "README.md",
    ROOT / "AGENTS.md",
    ROOT / "gateway" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted(ROOT.glob("services/*/README.md")),
    *sorted(ROOT.glob("bench/README.md")),
]
TOP_LEVEL = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
NATIVE = stack.StackConfig()  # make dev's stack, as from_environment() builds it without STACK_* set
ROUTES = yaml.safe_load((ROOT / "gateway" / "traefik" / "dynamic" / "routes.yml").read_text())


def _help_verbs() -> set[str]:
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return {line.split()[1] for line in out.stdout.splitlines() if line.strip().startswith("make ")}


def test_the_readme_quotes_what_make_dev_prints() -> None:
    block = re.search(r"```\n(the stack is up:.*?)\n```", README, re.S)
    assert block, "README.md should quote make dev's ready message"
    assert block.group(1) == stack.banner(NATIVE, traefik.version())


def test_every_make_verb_in_the_readme_exists_and_every_listed_verb_is_in_the_readme() -> None:
    listed = _help_verbs()
    mentioned = set(re.findall(r"`make ([a-z][a-z0-9-]*)", README))
    assert mentioned - listed == set(), "the README names verbs make help does not list"
    assert listed - mentioned == set(), "make help lists verbs the README does not explain"


def test_make_help_says_how_to_give_the_superuser_password_without_a_prompt() -> None:
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True)
    assert "SUPERUSER_PASSWORD" in out.stdout
    assert "SUPERUSER_PASSWORD" in README


def _native_urls(text: str) -> list[str]:
    return [u.rstrip(".,;:") for u in re.findall(r"http://127\.0\.0\.1:\d+[^\s`)|'\"]*", text)]


def test_every_native_port_in_the_readme_is_one_the_stack_listens_on() -> None:
    ports = set(NATIVE.all_ports.values())
    for url in _native_urls(README):
        assert urlsplit(url).port in ports, url
    table = README.split("## Ports (native mode)", 1)[1].split("\n## ", 1)[0]
    for what, port in NATIVE.all_ports.items():
        assert str(port) in table, f"{what} ({port}) is missing from the README's ports table"


def _router_matches(path: str) -> str | None:
    """The name of the public router (not the catch-all) whose rule takes ``path``."""
    for name, router in ROUTES["http"]["routers"].items():
        if "web" not in router.get("entryPoints", []) or name == "not-found":
            continue
        rule = router["rule"]
        for kind, value in re.findall(r"(Path|PathPrefix|PathRegexp)\(`([^`]*)`\)", rule):
            if (
                (kind == "Path" and path == value)
                or (kind == "PathPrefix" and path.startswith(value))
                or (kind == "PathRegexp" and re.match(value, path))
            ):
                return str(name)
    return None


def test_every_gateway_url_in_the_docs_is_routed() -> None:
    gateway = NATIVE.gateway_url
    for doc in (ROOT / "README.md", ROOT / "AGENTS.md"):
        for url in _native_urls(doc.read_text()):
            if url.startswith(f"{gateway}/"):
                path = urlsplit(url).path
                # A base the docs build on (G=http://127.0.0.1:8000/api/v1) counts when routes lie under it.
                routed = _router_matches(path) or _router_matches(path.rstrip("/") + "/auth/register")
                assert routed, f"{doc.name}: {url} matches no router"
    pages = ["/docs", "/redoc", "/reset-password", "/verify-email", "/api/v1/auth/register"]
    pages.append("/.well-known/jwks.json")
    for path in pages:
        assert _router_matches(path), path


def test_the_mailed_links_lead_to_a_routed_page() -> None:
    from worker_service.settings import WorkerSettings

    settings = WorkerSettings()
    assert _router_matches(settings.password_reset_path) == "account-pages"
    assert _router_matches(settings.verify_email_path) == "account-pages"
    env = stack._service_env(NATIVE, "worker")
    assert env["PUBLIC_BASE_URL"] == NATIVE.gateway_url
    assert env["SMTP_PORT"] == str(NATIVE.mail_smtp_port)


def test_the_compose_gateway_port_is_the_same_everywhere() -> None:
    compose = (ROOT / "deploy" / "compose" / "compose.yaml").read_text()
    published = re.search(r'"\$\{GATEWAY_PORT:-(\d+)\}:80"', compose)
    assert published
    port = published.group(1)
    assert f"GATEWAY_PORT={port}" in (ROOT / ".env.example").read_text()
    assert f"http://localhost:{port}" in (ROOT / "docs" / "deploy.md").read_text()
    deploy_section = README.split("## Deploy", 1)[1]
    assert f"http://localhost:{port}" in deploy_section
    assert not re.search(r"http://localhost[^:]", README), "compose's gateway has a port"


def test_the_compose_ports_in_docs_deploy_are_published_by_compose() -> None:
    compose = (ROOT / "deploy" / "compose" / "compose.yaml").read_text()
    published = set(re.findall(r'"127\.0\.0\.1:(\d+):\d+"', compose))
    deploy_doc = (ROOT / "docs" / "deploy.md").read_text()
    table = deploy_doc.split("| what | where | login |", 1)[1].split("\n\n", 1)[0]
    for port in re.findall(r"http://127\.0\.0\.1:(\d+)", table):
        assert port in published, port


def _links(doc: Path) -> list[str]:
    text = doc.read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    # Backticked repository paths: `gateway/traefik/dynamic/routes.yml`, `docs/deploy.md`, ...
    for token in re.findall(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`", text):
        if token.split("/", 1)[0] in TOP_LEVEL:
            targets.append(token)
    return [t for t in targets if not t.startswith(("http://", "https://", "mailto:"))]


def _ignored(target: str) -> bool:
    """Made by a command, not committed: git ignores it (``bench/results/smoke/``), or it is a hidden
    tool folder a make target fills (``deploy/.tools``)."""
    if any(part.startswith(".") for part in Path(target).parts):
        return True
    return subprocess.run(["git", "check-ignore", "-q", target], cwd=ROOT, check=False).returncode == 0


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_files_the_docs_point_to_exist(doc: Path) -> None:
    missing = []
    for target in _links(doc):
        relative_to_doc = (doc.parent / target).resolve()
        from_root = (ROOT / target).resolve()
        if not relative_to_doc.exists() and not from_root.exists() and not _ignored(target):
            missing.append(target)
    assert missing == [], f"{doc.relative_to(ROOT)} points to files that do not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_doc_points_outside_the_repository_or_at_the_gone_python_gateway(doc: Path) -> None:
    text = doc.read_text()
    assert "../shared" not in text
    # The removed imitation of Traefik, spelt so that `git grep` for its package finds nothing at all.
    assert "native" + "_gateway" not in text
    assert "native gateway" not in text.lower()


def test_the_errors_doc_lists_every_problem_type_and_no_other() -> None:
    from common.problems import KINDS, PROBLEM_TYPE_BASE

    listed = set(
        re.findall(re.escape(PROBLEM_TYPE_BASE) + r"([a-z-]+)`", (ROOT / "docs" / "errors.md").read_text())
    )
    assert listed == set(KINDS)
