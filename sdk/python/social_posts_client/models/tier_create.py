from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tier_limit_in import TierLimitIn


T = TypeVar("T", bound="TierCreate")


@_attrs_define
class TierCreate:
    """
    Attributes:
        name (str): 2 to 32 lowercase letters, digits, '-' or '_', starting with a letter
        description (str | Unset):  Default: ''.
        is_default (bool | Unset): new accounts and anonymous callers get this tier Default: False.
        limits (list[TierLimitIn] | Unset):
    """

    name: str
    description: str | Unset = ""
    is_default: bool | Unset = False
    limits: list[TierLimitIn] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        is_default = self.is_default

        limits: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.limits, Unset):
            limits = []
            for limits_item_data in self.limits:
                limits_item = limits_item_data.to_dict()
                limits.append(limits_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if is_default is not UNSET:
            field_dict["is_default"] = is_default
        if limits is not UNSET:
            field_dict["limits"] = limits

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_limit_in import TierLimitIn  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description", UNSET)

        is_default = d.pop("is_default", UNSET)

        _limits = d.pop("limits", UNSET)
        limits: list[TierLimitIn] | Unset = UNSET
        if _limits is not UNSET:
            limits = []
            for limits_item_data in _limits:
                limits_item = TierLimitIn.from_dict(limits_item_data)

                limits.append(limits_item)

        tier_create = cls(
            name=name,
            description=description,
            is_default=is_default,
            limits=limits,
        )

        return tier_create
