from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TierLimitIn")


@_attrs_define
class TierLimitIn:
    """
    Attributes:
        path_prefix (str): requests whose path starts with this (e.g. /api/v1/posts) count against the limit
        request_limit (int): requests allowed per period
        period_seconds (int): window length, 1 s to 1 day
    """

    path_prefix: str
    request_limit: int
    period_seconds: int

    def to_dict(self) -> dict[str, Any]:
        path_prefix = self.path_prefix

        request_limit = self.request_limit

        period_seconds = self.period_seconds

        field_dict: dict[str, Any] = {}

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

        tier_limit_in = cls(
            path_prefix=path_prefix,
            request_limit=request_limit,
            period_seconds=period_seconds,
        )

        return tier_limit_in
