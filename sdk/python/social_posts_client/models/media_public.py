from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.media_status import MediaStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="MediaPublic")


@_attrs_define
class MediaPublic:
    """
    Attributes:
        id (UUID):
        post_id (UUID):
        status (MediaStatus):
        content_type (str): the type of the uploaded file
        size (int): bytes uploaded
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        width (int | None | Unset):
        height (int | None | Unset):
        failure_reason (None | str | Unset):
        thumbnail_url (None | str | Unset): once ready: a small WebP rendition
        original_url (None | str | Unset): once ready: the re-encoded full image
    """

    id: UUID
    post_id: UUID
    status: MediaStatus
    content_type: str
    size: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    width: int | None | Unset = UNSET
    height: int | None | Unset = UNSET
    failure_reason: None | str | Unset = UNSET
    thumbnail_url: None | str | Unset = UNSET
    original_url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        post_id = str(self.post_id)

        status = self.status.value

        content_type = self.content_type

        size = self.size

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        width: int | None | Unset
        if isinstance(self.width, Unset):
            width = UNSET
        else:
            width = self.width

        height: int | None | Unset
        if isinstance(self.height, Unset):
            height = UNSET
        else:
            height = self.height

        failure_reason: None | str | Unset
        if isinstance(self.failure_reason, Unset):
            failure_reason = UNSET
        else:
            failure_reason = self.failure_reason

        thumbnail_url: None | str | Unset
        if isinstance(self.thumbnail_url, Unset):
            thumbnail_url = UNSET
        else:
            thumbnail_url = self.thumbnail_url

        original_url: None | str | Unset
        if isinstance(self.original_url, Unset):
            original_url = UNSET
        else:
            original_url = self.original_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "post_id": post_id,
                "status": status,
                "content_type": content_type,
                "size": size,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if width is not UNSET:
            field_dict["width"] = width
        if height is not UNSET:
            field_dict["height"] = height
        if failure_reason is not UNSET:
            field_dict["failure_reason"] = failure_reason
        if thumbnail_url is not UNSET:
            field_dict["thumbnail_url"] = thumbnail_url
        if original_url is not UNSET:
            field_dict["original_url"] = original_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        post_id = UUID(d.pop("post_id"))

        status = MediaStatus(d.pop("status"))

        content_type = d.pop("content_type")

        size = d.pop("size")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_width(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        width = _parse_width(d.pop("width", UNSET))

        def _parse_height(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        height = _parse_height(d.pop("height", UNSET))

        def _parse_failure_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_reason = _parse_failure_reason(d.pop("failure_reason", UNSET))

        def _parse_thumbnail_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        thumbnail_url = _parse_thumbnail_url(d.pop("thumbnail_url", UNSET))

        def _parse_original_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        original_url = _parse_original_url(d.pop("original_url", UNSET))

        media_public = cls(
            id=id,
            post_id=post_id,
            status=status,
            content_type=content_type,
            size=size,
            created_at=created_at,
            updated_at=updated_at,
            width=width,
            height=height,
            failure_reason=failure_reason,
            thumbnail_url=thumbnail_url,
            original_url=original_url,
        )

        media_public.additional_properties = d
        return media_public

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
