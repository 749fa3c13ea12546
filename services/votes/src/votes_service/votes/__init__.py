"""Votes: one per user per post, cast and taken back idempotently, their per-post tallies, the
known-posts read model that says which posts take votes, and the purge of a deleted user's votes."""
