"""Tiers: named sets of per-path request limits that admins manage and forwardAuth enforces."""
