from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier_limit_public import TierLimitPublic


T = TypeVar("T", bound="TierPublic")


@_attrs_define
class TierPublic:
    """
    Attributes:
        name (str):
        description (str):
        is_default (bool):
        limits (list[TierLimitPublic]):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    name: str
    description: str
    is_default: bool
    limits: list[TierLimitPublic]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        is_default = self.is_default

        limits = []
        for limits_item_data in self.limits:
            limits_item = limits_item_data.to_dict()
            limits.append(limits_item)

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "description": description,
                "is_default": is_default,
                "limits": limits,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_limit_public import TierLimitPublic  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        is_default = d.pop("is_default")

        limits = []
        _limits = d.pop("limits")
        for limits_item_data in _limits:
            limits_item = TierLimitPublic.from_dict(limits_item_data)

            limits.append(limits_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        tier_public = cls(
            name=name,
            description=description,
            is_default=is_default,
            limits=limits,
            created_at=created_at,
            updated_at=updated_at,
        )

        tier_public.additional_properties = d
        return tier_public

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
