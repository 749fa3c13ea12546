"""The first administrator and the default tier: what a fresh installation needs to be usable.

An admin comes from settings (``FIRST_SUPERUSER_*``, created at start-up when absent) or from the
CLI (``python -m auth_service.cli create-superuser``). There is never a default password.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.accounts import repository
from auth_service.accounts.models import DEFAULT_TIER, Role, User
from auth_service.accounts.schemas import UserCreate
from auth_service.accounts.service import create_account
from auth_service.keys.security import Passwords
from auth_service.settings import AuthSettings
from auth_service.tiers.models import Tier
from auth_service.tiers.repository import ensure_default_tier
from common import BadRequest, Database

__all__ = ["bootstrap", "create_superuser"]

log = logging.getLogger("auth.bootstrap")


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors())


async def create_superuser(
    session: AsyncSession, passwords: Passwords, *, email: str, username: str, password: str
) -> User:
    """A verified admin account; ``BadRequest`` when the input breaks the account rules."""
    try:
        data = UserCreate(email=email, username=username, password=password)
    except ValidationError as exc:
        raise BadRequest(_validation_message(exc)) from None
    await ensure_default_tier(session)
    default = (await session.execute(select(col(Tier.name)).where(col(Tier.is_default)))).scalar()
    return await create_account(session, passwords, data, tier=default or DEFAULT_TIER, role=Role.ADMIN)


async def bootstrap(db: Database, settings: AuthSettings, passwords: Passwords) -> None:
    """Ensure the default tier, and the configured first admin if one is configured."""
    async with db.session() as session:
        await ensure_default_tier(session)
        email, username = settings.first_superuser_email, settings.first_superuser_username
        password = settings.first_superuser_password
        if email and username and password:
            taken = await repository.email_or_username_taken(session, email, username)
            if any(taken):
                log.info("first superuser already exists", extra={"username": username})
            else:
                await create_superuser(
                    session, passwords, email=email, username=username, password=password.get_secret_value()
                )
                log.warning("created the first superuser from settings", extra={"username": username})
        await session.commit()
