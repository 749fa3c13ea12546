from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="VoteState")


@_attrs_define
class VoteState:
    """
    Attributes:
        post_id (UUID):
        voted (bool): whether the caller's vote stands after this request
        changed (bool): false when the request was a no-op (already voted / nothing to retract)
    """

    post_id: UUID
    voted: bool
    changed: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        post_id = str(self.post_id)

        voted = self.voted

        changed = self.changed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "post_id": post_id,
                "voted": voted,
                "changed": changed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        post_id = UUID(d.pop("post_id"))

        voted = d.pop("voted")

        changed = d.pop("changed")

        vote_state = cls(
            post_id=post_id,
            voted=voted,
            changed=changed,
        )

        vote_state.additional_properties = d
        return vote_state

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
