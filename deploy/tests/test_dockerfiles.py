"""The one Dockerfile, built per service: multi-stage, dependencies first, non-root, health-checked."""

from __future__ import annotations

import json
import re

import pytest

from deploy.dockerfile import DOCKERFILE, Instruction, dockerfile_instructions, service_image, stages
from deploy.render import REPO_ROOT

SERVICES = {
    "auth": "auth-service",
    "posts": "posts-service",
    "votes": "votes-service",
    "worker": "worker-service",
}


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_is_multi_stage_with_a_slim_python_runtime(service: str) -> None:
    instructions = service_image(service)
    builder, runtime = stages(instructions)
    assert builder[0].arguments.endswith(" AS builder")
    assert runtime[0].arguments.endswith(" AS runtime")
    image = next(
        i.arguments for i in instructions if i.keyword == "ARG" and i.arguments.startswith("PYTHON_IMAGE=")
    )
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", image)


def test_uv_comes_from_a_pinned_official_image_and_stays_in_the_builder(service: str) -> None:
    builder, runtime = stages(service_image(service))
    [uv] = [i for i in builder if i.keyword == "COPY" and "astral-sh/uv" in i.arguments]
    assert re.search(r"--from=ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ ", uv.arguments)
    runtime_text = " ".join(i.arguments for i in runtime)
    assert "astral-sh/uv" not in runtime_text
    assert " uv " not in f" {runtime_text} "
    assert not re.search(r"apt-get|apk |gcc|build-essential|pip install", runtime_text)


def test_dependencies_are_installed_before_the_source_is_copied(service: str) -> None:
    builder, _ = stages(service_image(service))
    syncs = [n for n, i in enumerate(builder) if i.keyword == "RUN" and "uv sync" in i.arguments]
    assert len(syncs) == 2
    first, second = (builder[n].arguments for n in syncs)
    for sync in (first, second):
        assert f"--package {SERVICES[service]}" in sync
        assert "--frozen" in sync
        assert "--no-dev" in sync
    assert "--no-install-workspace" in first
    assert "--no-editable" in second
    copies = [
        (n, i.arguments.split())
        for n, i in enumerate(builder)
        if i.keyword == "COPY" and "--from" not in i.arguments
    ]
    before = {src for n, args in copies if n < syncs[0] for src in args[:-1]}
    assert {
        "pyproject.toml",
        "uv.lock",
        "libs/common/pyproject.toml",
        f"services/{service}/pyproject.toml",
    } <= before
    assert all(src.endswith(("pyproject.toml", "uv.lock")) for src in before), before
    between = {src for n, args in copies if syncs[0] < n < syncs[1] for src in args[:-1]}
    assert between == {"libs/common", f"services/{service}"}


def test_every_workspace_member_pyproject_is_copied() -> None:
    root = (REPO_ROOT / "pyproject.toml").read_text()
    members = re.search(r"members\s*=\s*\[([^\]]*)\]", root)
    assert members
    text = DOCKERFILE.read_text()
    for member in re.findall(r'"([^"]+)"', members.group(1)):
        assert f"COPY {member}/pyproject.toml {member}/" in text, member


def test_every_file_the_build_copies_from_the_context_exists(service: str) -> None:
    """A ``COPY`` of a path that is not in the repository fails the build (``gateway/pyproject.toml``
    was copied long after the gateway stopped being a package)."""
    for instruction in service_image(service):
        if instruction.keyword != "COPY" or "--from=" in instruction.arguments:
            continue
        *sources, _target = instruction.arguments.split()
        for source in sources:
            assert list(REPO_ROOT.glob(source)), f"{service}: COPY {source}: no such path in the repository"


def test_runtime_is_non_root_health_checked_and_runs_uvicorn(service: str) -> None:
    _, runtime = stages(service_image(service))
    keywords = [i.keyword for i in runtime]
    [user] = [i.arguments for i in runtime if i.keyword == "USER"]
    assert user.split(":")[0] == "10001"
    assert keywords.index("USER") < keywords.index("CMD")
    [health] = [i.arguments for i in runtime if i.keyword == "HEALTHCHECK"]
    assert "http://127.0.0.1:8000/health/live" in health
    assert '"python"' in health
    [cmd] = [json.loads(i.arguments) for i in runtime if i.keyword == "CMD"]
    assert cmd[:2] == ["sh", "-c"]
    assert cmd[2].endswith(
        f"; exec uvicorn {service}_service.main:create_app --factory --host 0.0.0.0 --port 8000 "
        "--workers ${WEB_CONCURRENCY:-2}"
    )
    env = " ".join(i.arguments for i in runtime if i.keyword == "ENV")
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in env
    copies = {i.arguments for i in runtime if i.keyword == "COPY"}
    assert "--from=builder /app/.venv /app/.venv" in copies
    assert f"services/{service}/alembic.ini services/{service}/alembic.ini" in copies
    assert f"services/{service}/migrations services/{service}/migrations" in copies
    assert "WORKDIR /app" in {f"{i.keyword} {i.arguments}" for i in runtime}


def test_one_dockerfile_serves_every_service() -> None:
    """No service has a Dockerfile of its own; the one names no service but in the workspace's pyprojects."""
    assert not list((REPO_ROOT / "services").glob("*/Dockerfile"))
    instructions = dockerfile_instructions(DOCKERFILE)
    args = [i.arguments for i in instructions if i.keyword == "ARG" and i.arguments.startswith("SERVICE")]
    assert args == [
        "SERVICE",  # global, no default: every build names its service
        "SERVICE",  # builder
        "SERVICE",  # runtime
    ]
    for instruction in instructions:
        if re.fullmatch(r"(\S+)/pyproject\.toml \1/", instruction.arguments):
            continue
        for name in SERVICES:
            assert not re.search(rf"\b{name}[-_/]", instruction.arguments), instruction
    # A build without SERVICE stops at once instead of installing nothing.
    [check] = [i.arguments for i in stages(instructions)[0] if i.keyword == "RUN" and "uv" not in i.arguments]
    assert check.startswith('test -n "$SERVICE" ||')
    # The runtime's environment names the service: its command starts ${SERVICE}_service.
    _, runtime = stages(instructions)
    assert any(i.keyword == "ENV" and i.arguments.startswith("SERVICE=${SERVICE} ") for i in runtime)


def test_the_four_builds_differ_only_in_the_service_name() -> None:
    def normalised(name: str) -> list[Instruction]:
        return [
            Instruction(i.keyword, re.sub(rf"(?<!\w){name}(?![a-z])", "SERVICE", i.arguments), i.stage)
            for i in service_image(name)
            if not re.fullmatch(r"(\S+)/pyproject\.toml \1/", i.arguments)
        ]

    reference = normalised("auth")
    for name in SERVICES:
        assert normalised(name) == reference, name


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line and line[0] != "#"
    }
    assert {".git", ".env", "**/.venv", "**/*.pem", ".dev"} <= patterns
    assert not any(p in patterns for p in ("uv.lock", "services", "libs", "**/migrations", "**/alembic.ini"))
