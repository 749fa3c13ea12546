# syntax=docker/dockerfile:1
# Every service's image, one build per service (auth, posts, votes, worker), from the repository root
# (the uv workspace is the build context):
#   docker build --build-arg SERVICE=posts -t social-posts/posts .
# Migrations run from the same image: alembic -c services/posts/alembic.ini upgrade head

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# The service directory under services/ (its package is <SERVICE>-service, its module <SERVICE>_service).
ARG SERVICE

# ---- builder: resolve and install this package's locked dependencies into /app/.venv ----
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
RUN test -n "$SERVICE" || { echo 'build with --build-arg SERVICE=<a directory under services/>' >&2; exit 1; }
# uv is pinned to the release that writes this repository's uv.lock.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# Only the lock and the workspace's pyproject files first: this layer is rebuilt when dependencies change,
# not when source does. uv needs every member's pyproject.toml to read the workspace.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY libs/common-testing/pyproject.toml libs/common-testing/
COPY services/auth/pyproject.toml services/auth/
COPY services/posts/pyproject.toml services/posts/
COPY services/votes/pyproject.toml services/votes/
COPY services/worker/pyproject.toml services/worker/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${SERVICE}-service --no-install-workspace

# Then the two workspace packages this service is made of, installed as plain (non-editable) packages.
COPY libs/common libs/common
COPY services/${SERVICE} services/${SERVICE}
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${SERVICE}-service --no-editable

# ---- runtime: the interpreter, the venv and the migrations; no uv, no compiler ----
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
# SERVICE stays in the environment: the command below starts ${SERVICE}_service.
ENV SERVICE=${SERVICE} \
    PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WEB_CONCURRENCY=2 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
WORKDIR /app
# Owned by root and read-only for the app user, so a compromised process cannot rewrite its own code.
COPY --from=builder /app/.venv /app/.venv
COPY services/${SERVICE}/alembic.ini services/${SERVICE}/alembic.ini
COPY services/${SERVICE}/migrations services/${SERVICE}/migrations

USER 10001:10001
EXPOSE 8000
# slim has no curl: probe the liveness endpoint with the interpreter that is already there.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=3).status != 200)"]
# sh -c so that WEB_CONCURRENCY expands at start; exec so uvicorn is PID 1 and receives SIGTERM.
# With several workers, /metrics aggregates them through PROMETHEUS_MULTIPROC_DIR (common.metrics),
# which must exist and hold no file of an earlier run (an emptyDir outlives a container restart).
CMD ["sh", "-c", "if [ -n \"${PROMETHEUS_MULTIPROC_DIR:-}\" ]; then mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && rm -f \"$PROMETHEUS_MULTIPROC_DIR\"/*.db; fi; exec uvicorn ${SERVICE}_service.main:create_app --factory --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2}"]
