from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PostCreate")


@_attrs_define
class PostCreate:
    """
    Attributes:
        title (str): 1 to 200 characters
        content (str): 1 to 20,000 characters
        published (bool | Unset):  Default: True.
    """

    title: str
    content: str
    published: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        title = self.title

        content = self.content

        published = self.published

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "title": title,
                "content": content,
            }
        )
        if published is not UNSET:
            field_dict["published"] = published

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        title = d.pop("title")

        content = d.pop("content")

        published = d.pop("published", UNSET)

        post_create = cls(
            title=title,
            content=content,
            published=published,
        )

        return post_create
