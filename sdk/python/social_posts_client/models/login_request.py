from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="LoginRequest")


@_attrs_define
class LoginRequest:
    """The JSON sign-in, for clients that do not speak the OAuth2 form.

    Attributes:
        login (str): username or e-mail
        password (str):
        platform (None | str | Unset): a name for this device, e.g. 'ios'
    """

    login: str
    password: str
    platform: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        login = self.login

        password = self.password

        platform: None | str | Unset
        if isinstance(self.platform, Unset):
            platform = UNSET
        else:
            platform = self.platform

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "login": login,
                "password": password,
            }
        )
        if platform is not UNSET:
            field_dict["platform"] = platform

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        login = d.pop("login")

        password = d.pop("password")

        def _parse_platform(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        platform = _parse_platform(d.pop("platform", UNSET))

        login_request = cls(
            login=login,
            password=password,
            platform=platform,
        )

        return login_request
