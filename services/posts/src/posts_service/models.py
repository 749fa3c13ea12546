"""Every table of the posts service, for Alembic's metadata; each feature package defines its own."""

from __future__ import annotations

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import class_mapper

from posts_service.media.models import Media
from posts_service.posts.models import Author, Post

__all__ = ["Author", "Media", "Post", "metadata"]


def _own_tables() -> MetaData:
    """This service's tables alone: ``SQLModel.metadata`` holds every table model the process has
    imported, and a process that found every service's handlers (``common.events``' entry points)
    has imported the other services' models too."""
    own = MetaData()
    for model in (Post, Author, Media):
        table = class_mapper(model).local_table
        assert isinstance(table, Table)
        table.to_metadata(own)
    return own


#: What Alembic compares the migrated database with: every table above, and nothing else.
metadata = _own_tables()
