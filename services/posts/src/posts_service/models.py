"""Every table of the posts service, for Alembic's metadata; each feature package defines its own."""

from __future__ import annotations

from posts_service.media.models import Media
from posts_service.posts.models import Author, Post

__all__ = ["Author", "Media", "Post"]
