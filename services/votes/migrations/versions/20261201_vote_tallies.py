"""Per-post vote tallies: the absolute count and a sequence number, kept by the database itself.

Revision ID: 20261201_votes_tallies
Revises: 20261123_votes_known_posts_order
Create Date: 2026-12-01

Every change to ``votes`` moves its post's tally in the same transaction, through statement-level
triggers (one set-based update per statement, however many rows it touched): the count can never
drift from the rows, whichever process or statement wrote them (an older release during a rolling
deploy included). Each statement that touches a post bumps its ``seq`` once, under the tally's row
lock, so two concurrent changes to one post get distinct seqs in commit order, each with the count
as of its own commit. Locks are taken in ``post_id`` order so two bulk changes cannot deadlock.

Creating the triggers locks ``votes`` against writes until this migration commits, so the backfill
counts exactly the rows the triggers will go on from.
"""

from alembic import op

revision = "20261201_votes_tallies"
down_revision = "20261123_votes_known_posts_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE vote_tallies (
            post_id UUID PRIMARY KEY,
            vote_count INTEGER NOT NULL CHECK (vote_count >= 0),
            seq BIGINT NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE FUNCTION vote_tallies_added() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO vote_tallies AS t (post_id, vote_count, seq)
            SELECT post_id, count(*), 1 FROM added GROUP BY post_id ORDER BY post_id
            ON CONFLICT (post_id) DO UPDATE
                SET vote_count = t.vote_count + EXCLUDED.vote_count, seq = t.seq + 1;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION vote_tallies_removed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM vote_tallies
                WHERE post_id IN (SELECT post_id FROM removed) ORDER BY post_id FOR UPDATE;
            UPDATE vote_tallies AS t SET vote_count = t.vote_count - r.n, seq = t.seq + 1
                FROM (SELECT post_id, count(*) AS n FROM removed GROUP BY post_id) AS r
                WHERE t.post_id = r.post_id;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER votes_tally_added AFTER INSERT ON votes REFERENCING NEW TABLE AS added"
        " FOR EACH STATEMENT EXECUTE FUNCTION vote_tallies_added()"
    )
    op.execute(
        "CREATE TRIGGER votes_tally_removed AFTER DELETE ON votes REFERENCING OLD TABLE AS removed"
        " FOR EACH STATEMENT EXECUTE FUNCTION vote_tallies_removed()"
    )
    op.execute(
        "INSERT INTO vote_tallies (post_id, vote_count, seq)"
        " SELECT post_id, count(*), 0 FROM votes GROUP BY post_id"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS votes_tally_removed ON votes")
    op.execute("DROP TRIGGER IF EXISTS votes_tally_added ON votes")
    op.execute("DROP FUNCTION IF EXISTS vote_tallies_removed()")
    op.execute("DROP FUNCTION IF EXISTS vote_tallies_added()")
    op.execute("DROP TABLE IF EXISTS vote_tallies")
