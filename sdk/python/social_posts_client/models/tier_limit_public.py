from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TierLimitPublic")


@_attrs_define
class TierLimitPublic:
    """
    Attributes:
        path_prefix (str):
        request_limit (int):
        period_seconds (int):
    """

    path_prefix: str
    request_limit: int
    period_seconds: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        path_prefix = self.path_prefix

        request_limit = self.request_limit

        period_seconds = self.period_seconds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "path_prefix": path_prefix,
                "request_limit": request_limit,
                "period_seconds": period_seconds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        path_prefix = d.pop("path_prefix")

        request_limit = d.pop("request_limit")

        period_seconds = d.pop("period_seconds")

        tier_limit_public = cls(
            path_prefix=path_prefix,
            request_limit=request_limit,
            period_seconds=period_seconds,
        )

        tier_limit_public.additional_properties = d
        return tier_limit_public

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
