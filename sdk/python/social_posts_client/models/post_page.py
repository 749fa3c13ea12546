from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.post_public import PostPublic


T = TypeVar("T", bound="PostPage")


@_attrs_define
class PostPage:
    """
    Attributes:
        items (list[PostPublic]):
        has_more (bool):
        next_cursor (None | str | Unset): cursor mode: pass as ?cursor= (with limit) for the next page; null on the
            last. Page mode stops at page 1000: that page, when more posts follow, carries a next_cursor to go on in cursor
            mode (same q, author and sort; size becomes limit)
        total (int | None | Unset): page mode only: how many posts match; exact up to FEED_EXACT_COUNT_LIMIT (10,000 by
            default), beyond that the database planner's estimate (then total_is_estimate is true)
        total_is_estimate (bool | None | Unset): page mode only: whether total is an estimate (see total)
        page (int | None | Unset):
        size (int | None | Unset):
    """

    items: list[PostPublic]
    has_more: bool
    next_cursor: None | str | Unset = UNSET
    total: int | None | Unset = UNSET
    total_is_estimate: bool | None | Unset = UNSET
    page: int | None | Unset = UNSET
    size: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        has_more = self.has_more

        next_cursor: None | str | Unset
        if isinstance(self.next_cursor, Unset):
            next_cursor = UNSET
        else:
            next_cursor = self.next_cursor

        total: int | None | Unset
        if isinstance(self.total, Unset):
            total = UNSET
        else:
            total = self.total

        total_is_estimate: bool | None | Unset
        if isinstance(self.total_is_estimate, Unset):
            total_is_estimate = UNSET
        else:
            total_is_estimate = self.total_is_estimate

        page: int | None | Unset
        if isinstance(self.page, Unset):
            page = UNSET
        else:
            page = self.page

        size: int | None | Unset
        if isinstance(self.size, Unset):
            size = UNSET
        else:
            size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "has_more": has_more,
            }
        )
        if next_cursor is not UNSET:
            field_dict["next_cursor"] = next_cursor
        if total is not UNSET:
            field_dict["total"] = total
        if total_is_estimate is not UNSET:
            field_dict["total_is_estimate"] = total_is_estimate
        if page is not UNSET:
            field_dict["page"] = page
        if size is not UNSET:
            field_dict["size"] = size

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.post_public import PostPublic  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = PostPublic.from_dict(items_item_data)

            items.append(items_item)

        has_more = d.pop("has_more")

        def _parse_next_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        next_cursor = _parse_next_cursor(d.pop("next_cursor", UNSET))

        def _parse_total(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        total = _parse_total(d.pop("total", UNSET))

        def _parse_total_is_estimate(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        total_is_estimate = _parse_total_is_estimate(d.pop("total_is_estimate", UNSET))

        def _parse_page(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        page = _parse_page(d.pop("page", UNSET))

        def _parse_size(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        size = _parse_size(d.pop("size", UNSET))

        post_page = cls(
            items=items,
            has_more=has_more,
            next_cursor=next_cursor,
            total=total,
            total_is_estimate=total_is_estimate,
            page=page,
            size=size,
        )

        post_page.additional_properties = d
        return post_page

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
