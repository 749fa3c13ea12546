"""Every table of the votes service, for Alembic's metadata: each feature package keeps its own
``models.py``, and this module re-exports them all."""

from __future__ import annotations

from votes_service.votes.models import KnownPost, Vote, VotePurge, VoteTally

__all__ = ["KnownPost", "Vote", "VotePurge", "VoteTally"]
