from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.tier_limit_in import TierLimitIn


T = TypeVar("T", bound="TierLimitsReplace")


@_attrs_define
class TierLimitsReplace:
    """
    Attributes:
        limits (list[TierLimitIn]):
    """

    limits: list[TierLimitIn]

    def to_dict(self) -> dict[str, Any]:
        limits = []
        for limits_item_data in self.limits:
            limits_item = limits_item_data.to_dict()
            limits.append(limits_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "limits": limits,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_limit_in import TierLimitIn  # noqa: PLC0415

        d = dict(src_dict)
        limits = []
        _limits = d.pop("limits")
        for limits_item_data in _limits:
            limits_item = TierLimitIn.from_dict(limits_item_data)

            limits.append(limits_item)

        tier_limits_replace = cls(
            limits=limits,
        )

        return tier_limits_replace
