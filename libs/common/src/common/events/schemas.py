"""Every event payload, shared by producers and consumers so they cannot drift.

Names are past tense; ``TYPE`` is ``<producer>.<aggregate>.<verb>`` and is also the routing key.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from common.events.envelope import Event

__all__ = [
    "EVENT_TYPES",
    "EmailFailed",
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
    "PostUpdated",
    "SessionRevoked",
    "TokensCleanupRequested",
    "TokensPurged",
    "UserDeleted",
    "UserRegistered",
    "UserUpdated",
    "VoteCast",
    "VoteChanged",
    "VoteRetracted",
]


# --- auth ---------------------------------------------------------------------------------------
class UserRegistered(Event):
    TYPE = "auth.user.registered"
    user_id: uuid.UUID
    username: str
    email: str
    #: Single-use e-mail verification token (raw); only the worker's e-mail job reads it.
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


class MailedTokenRequested(Event):
    """A single-use token (raw) the worker mails to the user; the subclasses say what it is for."""

    user_id: uuid.UUID
    email: str
    username: str
    token: str
    expires_at: datetime


class PasswordResetRequested(MailedTokenRequested):
    TYPE = "auth.password_reset.requested"


class EmailVerificationRequested(MailedTokenRequested):
    TYPE = "auth.email_verification.requested"


class SessionRevoked(Event):
    TYPE = "auth.session.revoked"
    user_id: uuid.UUID
    session_id: uuid.UUID
    reason: str


class TokensPurged(Event):
    TYPE = "auth.tokens.purged"
    sessions: int
    reset_tokens: int
    verification_tokens: int = 0


# --- posts --------------------------------------------------------------------------------------
class PostCreated(Event):
    TYPE = "posts.post.created"
    post_id: uuid.UUID
    author_id: uuid.UUID
    title: str
    published: bool
    #: When this state of the post took effect; consumers apply a post's events in this order.
    changed_at: datetime | None = None


class PostUpdated(Event):
    TYPE = "posts.post.updated"
    post_id: uuid.UUID
    author_id: uuid.UUID
    title: str
    published: bool
    #: When this state of the post took effect; consumers apply a post's events in this order.
    changed_at: datetime | None = None


class PostDeleted(Event):
    """The post is gone from every read: deleted, or (in posts) hidden because auth deactivated
    its author. Either way it takes no votes until ``posts.post.restored``."""

    TYPE = "posts.post.deleted"
    post_id: uuid.UUID
    author_id: uuid.UUID
    changed_at: datetime | None = None


class PostRestored(Event):
    """An admin brought a soft-deleted post back (before its retention period ended), or auth
    reactivated the author of a post hidden by a deactivation."""

    TYPE = "posts.post.restored"
    post_id: uuid.UUID
    author_id: uuid.UUID
    title: str
    published: bool
    #: When this state of the post took effect; consumers apply a post's events in this order.
    changed_at: datetime | None = None


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


class EmailFailed(Event):
    """An e-mail the worker gave up on, so the originating service can tell the user."""

    TYPE = "worker.email.failed"
    user_id: uuid.UUID
    #: ``welcome``, ``password_reset`` or ``verification``.
    kind: str
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
        SessionRevoked,
        TokensPurged,
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
        EmailFailed,
        TokensCleanupRequested,
    )
}
