"""Create a service's database if it does not exist (used by ``make dev`` and the tests).

python -m common.dbtools ensure postgresql+asyncpg://postgres@127.0.0.1:5432/posts
"""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from common.db import asyncpg_dsn

__all__ = ["drop_database", "ensure_database"]


def _split(url: str) -> tuple[str, str]:
    parts = urlsplit(asyncpg_dsn(url))
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing unusual database name {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, name


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url``; returns whether it had to be created."""
    admin, name = _split(url)
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    admin, name = _split(url)
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "ensure":
        print(__doc__, file=sys.stderr)
        return 2
    created = asyncio.run(ensure_database(argv[1]))
    print(f"database {_split(argv[1])[1]}: {'created' if created else 'exists'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
