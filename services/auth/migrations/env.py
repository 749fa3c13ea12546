"""Alembic environment: the shared async runner, told nothing but where the database is."""

from common.migrations import run_migrations

run_migrations()
