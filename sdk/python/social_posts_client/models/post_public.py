from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.author_public import AuthorPublic


T = TypeVar("T", bound="PostPublic")


@_attrs_define
class PostPublic:
    """
    Attributes:
        id (UUID):
        title (str):
        content (str):
        published (bool):
        author (AuthorPublic):
        vote_count (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    id: UUID
    title: str
    content: str
    published: bool
    author: AuthorPublic
    vote_count: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        title = self.title

        content = self.content

        published = self.published

        author = self.author.to_dict()

        vote_count = self.vote_count

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "title": title,
                "content": content,
                "published": published,
                "author": author,
                "vote_count": vote_count,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.author_public import AuthorPublic  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        title = d.pop("title")

        content = d.pop("content")

        published = d.pop("published")

        author = AuthorPublic.from_dict(d.pop("author"))

        vote_count = d.pop("vote_count")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        post_public = cls(
            id=id,
            title=title,
            content=content,
            published=published,
            author=author,
            vote_count=vote_count,
            created_at=created_at,
            updated_at=updated_at,
        )

        post_public.additional_properties = d
        return post_public

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
