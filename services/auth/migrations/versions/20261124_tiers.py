"""Tiers and their per-path request limits; every user belongs to one (default: ``free``).

The seeded limits are deliberately generous (2,000 requests a second on average per user or
client address, counted per minute) so a load benchmark is not throttled unless an admin
configures tighter limits.

Revision ID: 20261124_auth_tiers
Revises: 20261124_auth_tokens
Create Date: 2026-11-24
"""

from alembic import op

revision = "20261124_auth_tiers"
down_revision = "20261124_auth_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tiers (
            name VARCHAR(32) PRIMARY KEY,
            description VARCHAR(200) NOT NULL DEFAULT '',
            is_default BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )
    # At most one default tier.
    op.execute("CREATE UNIQUE INDEX uq_tiers_default ON tiers (is_default) WHERE is_default")
    op.execute(
        """
        CREATE TABLE tier_limits (
            id UUID PRIMARY KEY,
            tier_name VARCHAR(32) NOT NULL REFERENCES tiers (name) ON DELETE CASCADE ON UPDATE CASCADE,
            path_prefix VARCHAR(200) NOT NULL,
            request_limit INTEGER NOT NULL,
            period_seconds INTEGER NOT NULL,
            CONSTRAINT uq_tier_limits_rule UNIQUE (tier_name, path_prefix, period_seconds),
            CONSTRAINT ck_tier_limits_positive CHECK (request_limit > 0 AND period_seconds > 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_tier_limits_tier_name ON tier_limits (tier_name)")
    op.execute(
        """
        INSERT INTO tiers (name, description, is_default) VALUES
            ('free', 'Default tier for every new account', true),
            ('pro', 'Higher limits', false)
        """
    )
    op.execute(
        """
        INSERT INTO tier_limits (id, tier_name, path_prefix, request_limit, period_seconds) VALUES
            (gen_random_uuid(), 'free', '/api/', 120000, 60),
            (gen_random_uuid(), 'pro', '/api/', 600000, 60)
        """
    )
    # Users of a tier keep it from being deleted; renaming is not offered but would cascade.
    op.execute(
        """
        ALTER TABLE users ADD CONSTRAINT fk_users_tier_tiers
            FOREIGN KEY (tier) REFERENCES tiers (name) ON UPDATE CASCADE ON DELETE RESTRICT
        """
    )
    op.execute("CREATE INDEX ix_users_tier ON users (tier)")
    op.execute("CREATE INDEX ix_users_created_at ON users (created_at, id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_users_created_at")
    op.execute("DROP INDEX IF EXISTS ix_users_tier")
    op.execute("ALTER TABLE users DROP CONSTRAINT IF EXISTS fk_users_tier_tiers")
    op.execute("DROP TABLE IF EXISTS tier_limits")
    op.execute("DROP TABLE IF EXISTS tiers")
