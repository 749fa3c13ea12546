# The verbs. `make help` lists them; every one works from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV        ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY        := .venv/bin/python
PACKAGES  := libs/common libs/common-testing services/auth services/posts services/votes services/worker
SUITES    := tests/docs libs/common/tests services/auth/tests services/posts/tests services/votes/tests services/worker/tests deploy/tests tests bench/tests
# mypy runs once per package (source and its tests together); each tests/ has its own conftest.
TYPED     := libs/common libs/common-testing services/auth services/posts services/votes services/worker

.PHONY: help
help: ## List the verbs
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: install
install: ## Install uv if missing and sync the workspace (one lock file)
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$(UV) sync --all-packages --frozen --quiet

.PHONY: dev
dev: install ## Prepare databases and migrations, start every service, the gateway and a mail catcher (Ctrl-C stops)
	@$(PY) deploy/native/stack.py up

.PHONY: lint
lint: install ## ruff (lint + format check) and mypy, as pre-commit runs them
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(MAKE) --no-print-directory lint-types

.PHONY: lint-types
lint-types: ## mypy (strict), package by package
	@set -e; for pkg in $(TYPED); do \
		echo "mypy $$pkg"; $(PY) -m mypy $$pkg/src $$(test -d $$pkg/tests && echo $$pkg/tests); \
	done
	@echo "mypy deploy tests bench"; $(PY) -m mypy deploy tests $$(test -d bench && echo bench)

.PHONY: fmt
fmt: install ## Format and autofix
	@$(PY) -m ruff check --fix .
	@$(PY) -m ruff format .

.PHONY: test
test: install lint k8s-tools ## Lint, type checks and every test suite (real Postgres, Redis, RabbitMQ)
	@$(PY) deploy/native/stack.py check
	@bash tests/e2e/install-browser.sh
	@set -e; for suite in $(SUITES); do \
		echo "== pytest $$suite"; \
		$(PY) -m pytest $$suite -q -p no:cacheprovider; \
	done

.PHONY: up
up: ## docker compose up: the whole stack in containers with Traefik (needs .env, see docs/deploy.md)
	@deploy/scripts/up.sh

.PHONY: down
down: ## Stop the compose stack (data volumes kept)
	@docker compose --env-file .env -f deploy/compose/compose.yaml down

.PHONY: k8s
k8s: install k8s-tools ## Render every Kubernetes overlay and validate every object; validate compose
	@$(PY) -m deploy.validate

.PHONY: k8s-tools
k8s-tools: # a kustomize renderer: kubectl or kustomize if present, else the PyPI fallback
	@command -v kustomize >/dev/null 2>&1 || command -v kubectl >/dev/null 2>&1 || test -d deploy/.tools/pykustomize \
		|| PATH="$(dir $(UV)):$$PATH" sh deploy/scripts/install-pykustomize.sh

.PHONY: k8s-sync
k8s-sync: install ## Refresh the kustomize copy of gateway/traefik and the traced static files (compose, prod) after editing it
	@$(PY) -m deploy.gateway_sync

.PHONY: bench
bench: install ## Load the native stack (seeded: users, 10,000 posts, votes) and write bench/results/; SCALE=1: reads at 10,000 and 1,000,000 posts
	@$(PY) bench/run.py $(if $(filter 1,$(SCALE)),--scale)

.PHONY: sdk
sdk: install ## Generate the API clients in sdk/ (Python, TypeScript) from the merged OpenAPI documents
	@$(PY) -m deploy.sdk

.PHONY: migrate
migrate: install ## Create and migrate every service's database
	@$(PY) deploy/native/stack.py prepare

.PHONY: superuser
superuser: install ## Create the first admin (EMAIL=... USERNAME=...; password asked for, or SUPERUSER_PASSWORD=...)
	@test -n "$(EMAIL)" -a -n "$(USERNAME)" || { echo "usage: make superuser EMAIL=you@example.com USERNAME=you" >&2; exit 2; }
	@$(PY) -m auth_service.cli create-superuser --email "$(EMAIL)" --username "$(USERNAME)"

.PHONY: jobs-retry
jobs-retry: install ## Retry failed worker jobs, e.g. mail sent while SMTP was down (QUEUE=mail|media, TYPE=...)
	@$(PY) -m worker_service.cli jobs retry --failed $(if $(QUEUE),--queue $(QUEUE)) $(if $(TYPE),--type $(TYPE))

.PHONY: new-service
new-service: install ## Start a service by copying votes, renamed (NAME=bookmarks); then docs/adding-a-service.md
	@test -n "$(NAME)" || { echo "usage: make new-service NAME=bookmarks" >&2; exit 2; }
	@$(PY) -m deploy.new_service "$(NAME)"

.PHONY: dlq
dlq: install ## List dead-lettered events (QUEUE=posts to pick one; REPLAY=1 to replay them; EVENTS_PREFIX honoured)
	@if [ -n "$(REPLAY)" ]; then $(PY) -m common.events.dlq replay $(if $(QUEUE),--queue $(QUEUE)); \
	else $(PY) -m common.events.dlq list $(if $(QUEUE),--queue $(QUEUE)); fi
