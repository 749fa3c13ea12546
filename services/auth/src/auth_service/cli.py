"""Operator commands.

    python -m auth_service.cli create-superuser --email admin@example.com --username admin

The password is read from the SUPERUSER_PASSWORD environment variable if set, otherwise from
standard input (prompted twice on a terminal, one line when piped). It is never an argument, so
it does not end up in the shell history or the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from auth_service.accounts.bootstrap import create_superuser
from auth_service.keys.security import Passwords
from auth_service.settings import AuthSettings
from common import Database, DomainError

__all__ = ["main"]


def _read_password() -> str:
    from_env = os.environ.get("SUPERUSER_PASSWORD")
    if from_env:
        return from_env
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise SystemExit("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _create_superuser(settings: AuthSettings, email: str, username: str, password: str) -> None:
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.session() as session:
            user = await create_superuser(
                session, Passwords(settings), email=email, username=username, password=password
            )
            await session.commit()
        print(f"created admin {user.username} ({user.id})")
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth_service.cli", description="auth service commands")
    commands = parser.add_subparsers(dest="command", required=True)
    superuser = commands.add_parser("create-superuser", help="create a verified admin account")
    superuser.add_argument("--email", required=True)
    superuser.add_argument("--username", required=True)
    args = parser.parse_args(argv)
    password = _read_password()
    if not password:
        print("error: no password given (SUPERUSER_PASSWORD or standard input)", file=sys.stderr)
        return 2
    try:
        asyncio.run(_create_superuser(AuthSettings(), args.email, args.username, password))
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
