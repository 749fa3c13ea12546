"""Operators' command line for votes, on the votes database (``DATABASE_URL``).

    python -m votes_service.cli purge

``purge`` removes, now, the votes of every deleted user whose purge is still pending, the way the
running service's purger does (``votes/purge.py``: chunk by chunk, each chunk in its own
transaction with its ``votes.vote.retracted`` events), and says how many votes went. For a
deployment that runs without background work (``RUN_BACKGROUND=false``), or to finish a large
purge at once instead of waiting for the next pass. Replicas working at the same time share the
work (``SKIP LOCKED``), so it is safe to run beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from common import Database
from votes_service.settings import VotesSettings, get_settings
from votes_service.votes.purge import VotePurger

__all__ = ["main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m votes_service.cli", description="Votes operations.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("purge", help="remove deleted users' votes now (the pending purges)")
    return parser


async def run(argv: list[str], settings: VotesSettings, out: TextIO = sys.stdout) -> int:
    """Execute one command; returns the exit code."""
    _parser().parse_args(argv)  # one command so far: purge
    db = Database(settings.database_url, pool_size=1)
    try:
        removed = await VotePurger(db).purge_pending()
    finally:
        await db.dispose()
    print(f"{removed} vote(s) of deleted users removed", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(sys.argv[1:] if argv is None else argv, get_settings()))


if __name__ == "__main__":
    raise SystemExit(main())
