from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TierAssign")


@_attrs_define
class TierAssign:
    """
    Attributes:
        tier (str):
    """

    tier: str

    def to_dict(self) -> dict[str, Any]:
        tier = self.tier

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tier": tier,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        tier = d.pop("tier")

        tier_assign = cls(
            tier=tier,
        )

        return tier_assign
