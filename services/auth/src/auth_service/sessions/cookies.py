"""The browser transport: the refresh token in an httpOnly cookie, guarded against CSRF.

The refresh cookie is httpOnly, Secure and SameSite and is only sent to auth's routes. A refresh
that relies on the cookie must also carry ``X-CSRF-Token`` with the value of the readable
``csrf_token`` cookie (or the login response's ``csrf_token``); that value is derived from the
refresh token, so another site can neither read nor forge it. A refresh token sent in the JSON body
(mobile apps, other systems) needs no CSRF header: a browser never adds it by itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Header, Request, Response

from auth_service.dependencies import SettingsDep
from auth_service.keys.security import csrf_token_matches
from auth_service.sessions.schemas import RefreshRequest, TokenPair
from auth_service.settings import AuthSettings
from common import Forbidden, Unauthorized

__all__ = ["PresentedRefreshToken", "clear_session_cookies", "set_session_cookies"]


def _set(
    response: Response, settings: AuthSettings, name: str, value: str, *, path: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        domain=settings.cookie_domain,
        secure=settings.cookie_secure,
        httponly=name == settings.refresh_cookie_name,
        samesite=settings.cookie_samesite,
    )


def set_session_cookies(response: Response, pair: TokenPair, settings: AuthSettings) -> None:
    age = pair.refresh_expires_in
    _set(
        response,
        settings,
        settings.refresh_cookie_name,
        pair.refresh_token,
        path=settings.refresh_cookie_path,
        max_age=age,
    )
    # Readable by the page's script, which copies it into the X-CSRF-Token header.
    _set(response, settings, settings.csrf_cookie_name, pair.csrf_token, path="/", max_age=age)


def clear_session_cookies(response: Response, settings: AuthSettings) -> None:
    for name, path in (
        (settings.refresh_cookie_name, settings.refresh_cookie_path),
        (settings.csrf_cookie_name, "/"),
    ):
        response.delete_cookie(
            name,
            path=path,
            domain=settings.cookie_domain,
            secure=settings.cookie_secure,
            samesite=settings.cookie_samesite,
            httponly=name == settings.refresh_cookie_name,
        )


def _presented_refresh_token(
    request: Request,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    csrf: Annotated[
        str | None, Header(alias="X-CSRF-Token", max_length=128, description="required with the cookie")
    ] = None,
) -> str:
    if body is not None and body.refresh_token:
        return body.refresh_token
    cookie = request.cookies.get(settings.refresh_cookie_name)
    if not cookie:
        raise Unauthorized(
            "Send the refresh token in the body ({'refresh_token': ...}) or as the refresh cookie"
        )
    if not csrf_token_matches(cookie, csrf):
        raise Forbidden(
            "Refreshing with the cookie needs the X-CSRF-Token header set to the csrf_token cookie"
        )
    return cookie


PresentedRefreshToken = Annotated[str, Depends(_presented_refresh_token)]
