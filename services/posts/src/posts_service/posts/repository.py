"""Posts' queries, and nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from common.events import outbox
from posts_service.posts.models import Author, Post
from posts_service.posts.schemas import Sort

__all__ = [
    "DELETED_AUTHOR",
    "AuthorState",
    "FeedFilter",
    "PostRow",
    "adjust_vote_counts",
    "author_deactivated",
    "author_deleted",
    "author_live_posts",
    "author_post_ids",
    "claim_expired",
    "count_deleted",
    "count_feed",
    "delete_posts",
    "estimate_feed",
    "explain",
    "get_post_row",
    "get_username",
    "has_drafts",
    "insert_post",
    "list_deleted",
    "list_feed_keyset",
    "list_feed_page",
    "lock_post",
    "mark_author_deleted",
    "repair_vote_count",
    "set_vote_counts",
    "soft_delete_author_posts",
    "sort_keys",
    "upsert_author",
    "vote_counts_after",
]

DELETED_AUTHOR = "[deleted]"
#: The search configuration of the generated column (20261124 migration); queries must use the same.
_TS_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")
_SEARCH_VECTOR: ColumnElement[Any] = literal_column("posts.search_vector")
#: A column or expression of the ORDER BY (typed loosely: sqlmodel's ``col`` gives ``Mapped``).
SortKey = Any


@dataclass(frozen=True, slots=True)
class PostRow:
    post: Post
    username: str
    #: ``ts_rank`` of the row when the listing searched, for the relevance cursor.
    rank: float | None = None


@dataclass(frozen=True, slots=True)
class FeedFilter:
    viewer_id: uuid.UUID | None = None
    #: The author's id, or their username (case-insensitive).
    author: uuid.UUID | str | None = None
    search: str | None = None


def _with_author(*extra: Any) -> Select[Any]:
    return select(
        Post, func.coalesce(col(Author.username), DELETED_AUTHOR).label("username"), *extra
    ).outerjoin(Author, col(Author.user_id) == col(Post.author_id))


def _rank(search: str) -> ColumnElement[float]:
    query = func.websearch_to_tsquery(_TS_CONFIG, search)
    return func.ts_rank(_SEARCH_VECTOR, query, type_=Float)


def _author_active() -> ColumnElement[bool]:
    """The post's author is not deactivated (an author posts never heard of counts as active)."""
    author = aliased(Author)  # its own FROM: the outer query may join authors already
    inactive = select(col(author.user_id)).where(
        col(author.user_id) == col(Post.author_id), col(author.active).is_(False)
    )
    return ~inactive.exists()


def _conditions(flt: FeedFilter) -> list[ColumnElement[bool]]:
    visible: ColumnElement[bool] = col(Post.published).is_(True)
    if flt.viewer_id is not None:
        visible = or_(visible, col(Post.author_id) == flt.viewer_id)
    conditions = [col(Post.deleted_at).is_(None), visible, _author_active()]
    if isinstance(flt.author, uuid.UUID):
        conditions.append(col(Post.author_id) == flt.author)
    elif flt.author is not None:
        authors = select(col(Author.user_id)).where(
            func.lower(col(Author.username)) == flt.author.lower(), col(Author.deleted).is_(False)
        )
        conditions.append(col(Post.author_id).in_(authors))
    if flt.search is not None:
        conditions.append(_SEARCH_VECTOR.op("@@")(func.websearch_to_tsquery(_TS_CONFIG, flt.search)))
    return conditions


def sort_keys(sort: Sort, search: str | None) -> list[SortKey]:
    """The ORDER BY of each sort, every key descending; the last keys make the order total."""
    keys: list[SortKey] = [col(Post.created_at), col(Post.id)]
    if sort is Sort.TOP:
        return [col(Post.vote_count), *keys]
    if sort is Sort.RELEVANCE and search is not None:
        return [_rank(search), *keys]
    return keys


def _feed(flt: FeedFilter, sort: Sort) -> tuple[Select[Any], list[SortKey]]:
    keys = sort_keys(sort, flt.search)
    rank = [keys[0].label("rank")] if sort is Sort.RELEVANCE else []
    stmt = _with_author(*rank).where(*_conditions(flt)).order_by(*(k.desc() for k in keys))
    return stmt, keys


def _rows(result: Sequence[Any], ranked: bool) -> list[PostRow]:
    return [PostRow(row[0], row[1], row[2] if ranked else None) for row in result]


async def list_feed_keyset(
    session: AsyncSession, flt: FeedFilter, sort: Sort, *, after: Sequence[Any] | None, limit: int
) -> list[PostRow]:
    """One page after the cursor values ``after`` (same order as :func:`sort_keys`)."""
    stmt, keys = _feed(flt, sort)
    if after is not None:
        bound = [literal(value, key.type) for key, value in zip(keys, after, strict=True)]
        stmt = stmt.where(tuple_(*keys) < tuple_(*bound))
    result = (await session.execute(stmt.limit(limit))).all()
    return _rows(result, sort is Sort.RELEVANCE)


async def list_feed_page(
    session: AsyncSession, flt: FeedFilter, sort: Sort, *, offset: int, limit: int
) -> list[PostRow]:
    stmt, _ = _feed(flt, sort)
    result = (await session.execute(stmt.offset(offset).limit(limit))).all()
    return _rows(result, sort is Sort.RELEVANCE)


async def count_feed(session: AsyncSession, flt: FeedFilter, *, limit: int) -> int:
    """How many posts match, counting no further than ``limit`` (the cost is bounded by it)."""
    # in the feed's order: the count walks the feed's own (partial) index, as far as ``limit``
    matching = (
        select(literal(1))
        .select_from(Post)
        .where(*_conditions(flt))
        .order_by(col(Post.created_at).desc(), col(Post.id).desc())
        .limit(limit)
        .subquery()
    )
    stmt = select(func.count()).select_from(matching)
    return int((await session.execute(stmt)).scalar_one())


async def explain(session: AsyncSession, stmt: Select[Any], *options: str) -> dict[str, Any]:
    """The plan PostgreSQL makes for ``stmt`` (``EXPLAIN (FORMAT JSON, ...)``), with its parameters."""
    connection = await session.connection()
    compiled = stmt.compile(dialect=connection.dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    sql = f"EXPLAIN (FORMAT JSON{''.join(', ' + o for o in options)}) {compiled}"
    result = await connection.exec_driver_sql(sql, params)
    plan = result.scalar_one()
    document = json.loads(plan) if isinstance(plan, str) else plan
    return cast("dict[str, Any]", document[0])


async def estimate_feed(session: AsyncSession, flt: FeedFilter) -> int:
    """The planner's estimate of how many posts match (no row is read)."""
    plan = await explain(session, select(literal(1)).select_from(Post).where(*_conditions(flt)))
    return int(plan["Plan"]["Plan Rows"])


async def has_drafts(session: AsyncSession, author_id: uuid.UUID) -> bool:
    """Whether the author has live posts that are not published (served by ix_posts_drafts)."""
    drafts = select(col(Post.id)).where(
        col(Post.author_id) == author_id, col(Post.deleted_at).is_(None), col(Post.published).is_(False)
    )
    return bool((await session.execute(select(drafts.exists()))).scalar_one())


async def get_post_row(session: AsyncSession, post_id: uuid.UUID) -> PostRow | None:
    """A post that is not deleted and whose author is not deactivated, with its author's name
    (visibility to this viewer is the service's call)."""
    stmt = _with_author().where(col(Post.id) == post_id, col(Post.deleted_at).is_(None), _author_active())
    row = (await session.execute(stmt)).first()
    return PostRow(row[0], row[1]) if row else None


async def lock_post(session: AsyncSession, post_id: uuid.UUID, *, deleted: bool = False) -> Post | None:
    """The post, row-locked for a change; ``deleted`` picks soft-deleted posts instead of live ones."""
    state = col(Post.deleted_at).is_not(None) if deleted else col(Post.deleted_at).is_(None)
    stmt = select(Post).where(col(Post.id) == post_id, state).with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def author_deleted(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether auth reported this user deleted (an author we never heard of is not)."""
    author = await session.get(Author, user_id)
    return author is not None and author.deleted


async def author_deactivated(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether auth reported this user deactivated (and not reactivated since)."""
    author = await session.get(Author, user_id)
    return author is not None and not author.active


async def get_username(session: AsyncSession, user_id: uuid.UUID) -> str:
    author = await session.get(Author, user_id)
    return author.username if author else DELETED_AUTHOR


async def list_deleted(session: AsyncSession, *, offset: int, limit: int) -> list[PostRow]:
    stmt = (
        _with_author()
        .where(col(Post.deleted_at).is_not(None))
        .order_by(col(Post.deleted_at).desc(), col(Post.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return _rows((await session.execute(stmt)).all(), ranked=False)


async def count_deleted(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Post).where(col(Post.deleted_at).is_not(None))
    return int((await session.execute(stmt)).scalar_one())


async def author_post_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(col(Post.id)).where(col(Post.author_id) == user_id)
    return list((await session.execute(stmt)).scalars().all())


@dataclass(frozen=True, slots=True)
class AuthorState:
    username: str
    deleted: bool


_AUTHORS = cast("Table", Author.__table__)  # type: ignore[attr-defined]  # Core: one statement, no unit of work
_POSTS = cast("Table", Post.__table__)  # type: ignore[attr-defined]


_EPOCH = datetime.fromtimestamp(0, UTC)


_POST_COLUMNS = (
    "id",
    "author_id",
    "title",
    "content",
    "published",
    "vote_count",
    "vote_seq",
    "created_at",
    "updated_at",
)
_EVENT_COLUMNS = ("event_id", "type", "envelope", "trace_context")


def _bound(table: Table, prefix: str, names: Sequence[str]) -> Select[Any]:
    """A one-row SELECT of typed parameters ``<prefix><column>``, for ``INSERT ... SELECT``."""
    return select(*(bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names))


def _create_statement() -> Select[Any]:
    """The whole create as one statement, built once (building it per request cost more than
    running it): CTEs remember the author from the token unless known (never overwriting), read
    the author as stored (``known``: the inserted row, or else the stored one), insert the post
    unless the author is known deleted, and insert the outbox row only with the post."""
    author_id = bindparam("p_author_id", type_=_AUTHORS.c.user_id.type)
    inserted = (
        insert(_AUTHORS)
        .values(
            user_id=author_id,
            username=bindparam("a_username", type_=_AUTHORS.c.username.type),
            updated_at=_EPOCH,
            deleted=False,
            active=True,
        )
        .on_conflict_do_nothing()
        .returning(_AUTHORS.c.username, _AUTHORS.c.deleted)
        .cte("inserted")
    )
    stored = select(_AUTHORS.c.username, _AUTHORS.c.deleted).where(
        _AUTHORS.c.user_id == author_id, ~select(inserted.c.username).exists()
    )
    known = select(inserted.c.username, inserted.c.deleted).union_all(stored).cte("known")
    allowed = ~select(known.c.deleted).where(known.c.deleted).exists()
    written = (
        insert(_POSTS)
        .from_select(list(_POST_COLUMNS), _bound(_POSTS, "p_", _POST_COLUMNS).where(allowed))
        .returning(_POSTS.c.id)
        .cte("written")
    )
    recorded = insert(outbox).from_select(
        list(_EVENT_COLUMNS), _bound(outbox, "e_", _EVENT_COLUMNS).where(select(written.c.id).exists())
    )
    return select(known.c.username, known.c.deleted).add_cte(written, recorded.cte("recorded"))


_CREATE = _create_statement()


async def insert_post(session: AsyncSession, post: Post, username: str, event: dict[str, Any]) -> AuthorState:
    """A new post (every column set by the caller) and its outbox row ``event`` (``outbox_row``),
    with the author remembered from the token, in ONE statement: a create is one round trip.

    Neither row is written when the author is known to be deleted (the caller refuses, and its
    rollback covers the race where the author row only becomes visible afterwards).
    """
    params = {f"p_{name}": getattr(post, name) for name in _POST_COLUMNS}
    params.update({f"e_{name}": event[name] for name in _EVENT_COLUMNS}, a_username=username)
    row = (await session.execute(_CREATE, params)).first()
    if row is None:
        # Inserted by a transaction that committed after this statement's snapshot was taken (the
        # insert saw its row, the read could not): a new statement sees it.
        stored = select(_AUTHORS.c.username, _AUTHORS.c.deleted).where(_AUTHORS.c.user_id == post.author_id)
        row = (await session.execute(stored)).one()
    return AuthorState(username=str(row[0]), deleted=bool(row[1]))


async def upsert_author(
    session: AsyncSession, user_id: uuid.UUID, username: str, updated_at: datetime, active: bool | None = None
) -> bool:
    """Apply an author update unless a newer one was already applied; ``active`` None keeps it.

    Returns whether this update flipped the author's ``active`` (their posts change visibility).
    """
    before = await session.execute(
        select(col(Author.active)).where(col(Author.user_id) == user_id).with_for_update()
    )
    was = before.scalar_one_or_none()
    stmt = insert(Author).values(
        user_id=user_id, username=username, updated_at=updated_at, deleted=False, active=active is not False
    )
    changes: dict[str, Any] = {"username": stmt.excluded.username, "updated_at": stmt.excluded.updated_at}
    if active is not None:
        changes["active"] = stmt.excluded.active
    result = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_=changes,
            where=and_(col(Author.updated_at) < stmt.excluded.updated_at, col(Author.deleted).is_(False)),
        ).returning(col(Author.active))
    )
    now = result.scalar_one_or_none()
    return was is not None and now is not None and was != now


async def author_live_posts(
    session: AsyncSession, user_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[Post]:
    """The author's posts that are not deleted, in id order from ``after`` (a chunk)."""
    stmt = (
        select(Post)
        .where(col(Post.author_id) == user_id, col(Post.deleted_at).is_(None))
        .order_by(col(Post.id))
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(col(Post.id) > after)
    return list((await session.execute(stmt)).scalars().all())


async def mark_author_deleted(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """Anonymise a deleted user's profile (their posts go with :func:`soft_delete_author_posts`)."""
    stmt = insert(Author).values(user_id=user_id, username=DELETED_AUTHOR, updated_at=now, deleted=True)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"username": DELETED_AUTHOR, "deleted": True, "updated_at": now},
        )
    )


async def soft_delete_author_posts(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, *, limit: int
) -> list[uuid.UUID]:
    """Soft-delete up to ``limit`` of the author's live posts in one statement; their ids."""
    chunk = (
        select(col(Post.id))
        .where(col(Post.author_id) == user_id, col(Post.deleted_at).is_(None))
        .order_by(col(Post.id))
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        update(Post)
        .where(col(Post.id).in_(chunk), col(Post.deleted_at).is_(None))
        .values(deleted_at=now)
        .returning(col(Post.id))
    )
    return [row[0] for row in result.all()]


def _posts_table() -> Table:
    return cast("Table", Post.__table__)  # type: ignore[attr-defined]  # Core, not ORM: a plain executemany


async def adjust_vote_counts(session: AsyncSession, deltas: dict[uuid.UUID, int]) -> None:
    """Add each post's delta (version-1 events) to its count, never below zero.

    Only for posts no version-2 event reached yet (``vote_seq = 0``): once one did, the absolute
    counts votes publishes already include every change, an old producer's too.
    One pipelined round trip (asyncpg's executemany), in id order: two consumers updating overlapping
    posts lock them in the same order, so they wait for each other instead of deadlocking.
    """
    params = [{"post_id": post_id, "delta": delta} for post_id, delta in sorted(deltas.items()) if delta]
    if not params:
        return
    posts = _posts_table()
    await session.execute(
        update(posts)
        .where(posts.c.id == bindparam("post_id"), posts.c.vote_seq == 0)
        .values(vote_count=func.greatest(posts.c.vote_count + bindparam("delta"), 0)),
        params,
    )


async def set_vote_counts(session: AsyncSession, counts: dict[uuid.UUID, tuple[int, int]]) -> None:
    """Store each post's ``(vote_count, seq)`` unless a newer seq is already stored (one executemany,
    in id order like :func:`adjust_vote_counts`)."""
    params = [
        {"post_id": post_id, "count": count, "seq": seq} for post_id, (count, seq) in sorted(counts.items())
    ]
    if not params:
        return
    posts = _posts_table()
    await session.execute(
        update(posts)
        .where(posts.c.id == bindparam("post_id"), posts.c.vote_seq < bindparam("seq"))
        .values(vote_count=bindparam("count"), vote_seq=bindparam("seq")),
        params,
    )


async def vote_counts_after(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[tuple[uuid.UUID, int, int]]:
    """``(id, vote_count, vote_seq)`` of every post (deleted ones too), in id order, from ``after``."""
    stmt = select(col(Post.id), col(Post.vote_count), col(Post.vote_seq)).order_by(col(Post.id)).limit(limit)
    if after is not None:
        stmt = stmt.where(col(Post.id) > after)
    return [(row[0], int(row[1]), int(row[2])) for row in (await session.execute(stmt)).all()]


async def repair_vote_count(session: AsyncSession, post_id: uuid.UUID, count: int, seq: int) -> bool:
    """Set the count from votes' truth as of ``seq``, unless a newer event was applied meanwhile."""
    result = await session.execute(
        update(Post)
        .where(col(Post.id) == post_id, col(Post.vote_seq) <= seq, col(Post.vote_count) != count)
        .values(vote_count=count, vote_seq=seq)
        .returning(col(Post.id))
    )
    return result.first() is not None


async def claim_expired(session: AsyncSession, cutoff: datetime, limit: int) -> list[uuid.UUID]:
    """Posts deleted before ``cutoff``, locked; rows another replica is purging are skipped."""
    stmt = (
        select(col(Post.id))
        .where(col(Post.deleted_at) < cutoff)
        .order_by(col(Post.deleted_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars().all())


async def delete_posts(session: AsyncSession, post_ids: Sequence[uuid.UUID]) -> None:
    """Remove for good (their media rows go with them: ON DELETE CASCADE)."""
    await session.execute(delete(Post).where(col(Post.id).in_(post_ids)))
