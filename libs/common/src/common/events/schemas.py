"""Every event payload, shared by producers and consumers so they cannot drift.

Names are past tense; ``TYPE`` is ``<producer>.<aggregate>.<verb>`` and is also the routing key.

``EVENT_TYPES`` is the registry of what the services publish, and an event is published only if
some installed subscription (a service's ``Handlers``) consumes it (a test holds every type here
to that).
Facts nobody acts on are logged by their producer instead: a revoked session (auth's sessions
table and its ``auth.security`` log), the counts of a token cleanup (auth's log), a mail given up
on (the worker's failed job, listed and retried through ``/internal/jobs``).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime
from typing import Self

from cryptography.fernet import Fernet, InvalidToken
from pydantic import model_validator

from common.events.envelope import Event

__all__ = [
    "EVENT_TYPES",
    "EmailVerificationRequested",
    "MailedTokenRequested",
    "MediaFailed",
    "MediaProcessed",
    "MediaProcessingStarted",
    "MediaUploaded",
    "PasswordResetRequested",
    "PostCreated",
    "PostDeleted",
    "PostRestored",
    "PostState",
    "PostUpdated",
    "TokenSeal",
    "TokensCleanupRequested",
    "UserDeleted",
    "UserRegistered",
    "UserUpdated",
    "VoteCast",
    "VoteChanged",
    "VoteRetracted",
]


# --- auth ---------------------------------------------------------------------------------------
class UserRegistered(Event):
    """A new account. Version 2 carries no token (posts reads this too): the verification mail is
    its own ``auth.email_verification.requested`` event, whose token is sealed for the worker."""

    TYPE = "auth.user.registered"
    VERSION = 2
    user_id: uuid.UUID
    username: str
    email: str
    #: Version 1 only: the raw verification token, still accepted from a producer not yet upgraded.
    verification_token: str | None = None
    updated_at: datetime


class UserUpdated(Event):
    """The user's public profile or standing changed (also published on deactivation/reactivation).

    Version 2 adds ``active``: false once an admin deactivated the account, true again on
    reactivation. Version 1 events lack it (``None``): consumers keep what they had.
    """

    TYPE = "auth.user.updated"
    VERSION = 2
    user_id: uuid.UUID
    username: str
    email: str
    #: Orders updates: a consumer ignores an update older than what it already has.
    updated_at: datetime
    active: bool | None = None


class UserDeleted(Event):
    TYPE = "auth.user.deleted"
    user_id: uuid.UUID


class TokenSeal:
    """Seals a mailed single-use token for the worker alone (Fernet: AES-128-CBC + HMAC-SHA256).

    The outbox row, the broker, a dead-letter queue and the worker's job row then hold only the
    sealed form; the key (``MAIL_TOKEN_KEY``, shared by auth and the worker) is never stored with it.
    Any string works as the key: the Fernet key is derived from it.
    """

    def __init__(self, secret: str) -> None:
        derived = hashlib.sha256(b"mail-token\x00" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, sealed: str) -> str:
        """The raw token; ``ValueError`` when it was sealed with another key or altered."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("the token was sealed with another key, or altered") from None


class MailedTokenRequested(Event):
    """A single-use token the worker mails to the user; the subclasses say what it is for.

    Version 2 carries ``sealed_token`` (see :class:`TokenSeal`); version 1 carried the raw ``token``
    and is still accepted during a rolling deploy. ``raw_token`` reads either.
    """

    VERSION = 2
    user_id: uuid.UUID
    email: str
    username: str
    sealed_token: str | None = None
    #: Version 1 only: the raw token.
    token: str | None = None
    expires_at: datetime

    @model_validator(mode="after")
    def _has_a_token(self) -> Self:
        if self.sealed_token is None and self.token is None:
            raise ValueError("a mailed token event needs sealed_token (or, version 1, token)")
        return self

    def raw_token(self, seal: TokenSeal) -> str:
        if self.sealed_token is not None:
            return seal.open(self.sealed_token)
        assert self.token is not None  # the validator guarantees one of the two
        return self.token


class PasswordResetRequested(MailedTokenRequested):
    TYPE = "auth.password_reset.requested"


class EmailVerificationRequested(MailedTokenRequested):
    TYPE = "auth.email_verification.requested"


# --- posts --------------------------------------------------------------------------------------
class PostState(Event):
    """A post's state as of ``changed_at``: created, updated or restored.

    Consumers keep, per post, the newest state by ``changed_at`` (or a newer ``posts.post.deleted``).
    """

    post_id: uuid.UUID
    author_id: uuid.UUID
    title: str
    published: bool
    #: When this state of the post took effect; consumers apply a post's events in this order.
    changed_at: datetime | None = None


class PostCreated(PostState):
    TYPE = "posts.post.created"


class PostUpdated(PostState):
    TYPE = "posts.post.updated"


class PostDeleted(Event):
    """The post is gone from every read: deleted, or (in posts) hidden because auth deactivated
    its author. Either way it takes no votes until ``posts.post.restored``."""

    TYPE = "posts.post.deleted"
    post_id: uuid.UUID
    author_id: uuid.UUID
    changed_at: datetime | None = None


class PostRestored(PostState):
    """An admin brought a soft-deleted post back (before its retention period ended), or auth
    reactivated the author of a post hidden by a deactivation."""

    TYPE = "posts.post.restored"


class MediaUploaded(Event):
    TYPE = "posts.media.uploaded"
    media_id: uuid.UUID
    post_id: uuid.UUID
    owner_id: uuid.UUID
    storage_key: str
    content_type: str
    size: int


# --- votes --------------------------------------------------------------------------------------
class VoteChanged(Event):
    """A vote cast or taken back, with the post's count right after it.

    Version 2 adds ``vote_count`` (the post's absolute count once this change committed) and
    ``seq`` (a per-post sequence number, bumped by every change to the post's votes in the same
    transaction): a consumer keeps the count of the highest ``seq`` it has seen, so any order and any
    duplication converge on votes' truth. Version 1 events (an older producer) carry neither and
    are applied as a +1/-1 delta.
    """

    VERSION = 2
    post_id: uuid.UUID
    user_id: uuid.UUID
    vote_count: int | None = None
    seq: int | None = None


class VoteCast(VoteChanged):
    TYPE = "votes.vote.cast"


class VoteRetracted(VoteChanged):
    TYPE = "votes.vote.retracted"


# --- worker -------------------------------------------------------------------------------------
class MediaProcessingStarted(Event):
    """The worker picked up an upload; posts shows the media as ``processing`` until it ends."""

    TYPE = "worker.media.started"
    media_id: uuid.UUID
    post_id: uuid.UUID


class MediaProcessed(Event):
    TYPE = "worker.media.processed"
    media_id: uuid.UUID
    post_id: uuid.UUID
    width: int
    height: int
    size: int
    sha256: str
    original_key: str
    thumbnail_key: str


class MediaFailed(Event):
    TYPE = "worker.media.failed"
    media_id: uuid.UUID
    post_id: uuid.UUID
    reason: str


class TokensCleanupRequested(Event):
    TYPE = "worker.tokens.cleanup_requested"
    scheduled_for: datetime


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        UserRegistered,
        UserUpdated,
        UserDeleted,
        PasswordResetRequested,
        EmailVerificationRequested,
        PostCreated,
        PostUpdated,
        PostDeleted,
        PostRestored,
        MediaUploaded,
        VoteCast,
        VoteRetracted,
        MediaProcessingStarted,
        MediaProcessed,
        MediaFailed,
        TokensCleanupRequested,
    )
}
