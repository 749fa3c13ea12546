"""Operator commands of the posts service, on its own database and Redis (``DATABASE_URL``, ``REDIS_URL``).

    python -m posts_service.cli reconcile [--votes-url URL] [--batch-size N] [--dry-run]

``reconcile`` sets every vote count that drifted from votes' truth and prints one JSON report of what
it repaired (``posts/reconcile.py``); it exits 0 (even when it repaired: drift is what it is for), 2
when votes could not be asked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

import httpx

from posts_service.posts.reconcile import reconcile_vote_counts
from posts_service.settings import PostsSettings, get_settings

__all__ = ["main"]


def _parser(settings: PostsSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m posts_service.cli", description="posts service commands")
    commands = parser.add_subparsers(dest="command", required=True)
    reconcile = commands.add_parser("reconcile", help="set vote counts that drifted to votes' truth")
    reconcile.add_argument(
        "--votes-url", default=settings.votes_url, help="votes' internal address (VOTES_URL)"
    )
    reconcile.add_argument("--batch-size", type=int, default=500, help="posts per request to votes (1-1000)")
    reconcile.add_argument("--dry-run", action="store_true", help="report the drift, change nothing")
    return parser


def _reconcile(settings: PostsSettings, args: argparse.Namespace) -> int:
    try:
        report = asyncio.run(
            reconcile_vote_counts(
                settings, votes_url=args.votes_url, batch_size=args.batch_size, dry_run=args.dry_run
            )
        )
    except httpx.HTTPError as exc:
        print(json.dumps({"error": f"could not ask votes at {args.votes_url}: {exc!r}"}), file=sys.stderr)
        return 2
    print(report.as_json())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = get_settings()
    parser = _parser(settings)
    args = parser.parse_args(argv)
    if not 1 <= args.batch_size <= 1000:
        parser.error("--batch-size must be between 1 and 1000")
    return _reconcile(settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
