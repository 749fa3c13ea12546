from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="UserCreate")


@_attrs_define
class UserCreate:
    """
    Attributes:
        email (str):
        username (str): 3 to 32 letters, digits or underscores
        password (str): 10 to 128 characters
    """

    email: str
    username: str
    password: str

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        username = self.username

        password = self.password

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "email": email,
                "username": username,
                "password": password,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        email = d.pop("email")

        username = d.pop("username")

        password = d.pop("password")

        user_create = cls(
            email=email,
            username=username,
            password=password,
        )

        return user_create
