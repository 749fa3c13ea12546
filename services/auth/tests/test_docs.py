"""The gateway's docs pages (Swagger UI and ReDoc, served by auth) and the OpenAPI document every
service serves for them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import auth_service.docs
from auth_service.docs import DOCUMENTED_SERVICES, REDOC_VERSION, SWAGGER_UI_VERSION
from auth_service.main import create_app, load_keyring
from auth_service.settings import AuthSettings
from common import TokenVerifier


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.urls: list[str] = []
        self.root: dict[str, str | None] = {}
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "script":
            self.scripts.append(values)
            self._in_script = True
        if values.get("id") in ("swagger-ui", "redoc"):
            self.root = values
        self.inline_script |= any(k.startswith("on") for k, _ in attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        self.inline_script |= self._in_script and bool(data.strip())


async def _page(client: httpx.AsyncClient, path: str = "/docs") -> _Page:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = _Page()
    page.feed(response.text)
    return page


async def test_the_page_loads_its_files_from_here_and_runs_no_inline_script(client):
    page = await _page(client)
    assert not page.inline_script  # the CSP (script-src 'self') would block it
    assert page.urls, "the page references its files"
    for url in page.urls:
        assert url.startswith("/docs/"), url  # nothing from a CDN
        asset = await client.get(url)
        assert asset.status_code == 200, url
    sources = [str(script["src"]).split("?")[0] for script in page.scripts]
    assert sources == ["/docs/swagger-ui-bundle.js", "/docs/merge.js", "/docs/docs.js"]
    assert page.root["data-token-url"] == "/api/v1/auth/login"
    specs = re.findall(r'"url": "([^"]+)"', str(page.root["data-specs"]))
    assert specs == [f"/api/v1/{name}/openapi.json" for name in DOCUMENTED_SERVICES]


async def test_the_redoc_page_loads_the_vendored_redoc_and_the_same_documents(client):
    page = await _page(client, "/redoc")
    assert not page.inline_script  # the same CSP as /docs
    for url in page.urls:
        assert url.startswith("/docs/"), url  # its files are served with Swagger UI's, nothing from a CDN
        assert (await client.get(url)).status_code == 200, url
    sources = [str(script["src"]).split("?")[0] for script in page.scripts]
    assert sources == ["/docs/redoc.standalone.js", "/docs/merge.js", "/docs/redoc.js"]
    specs = re.findall(r'"url": "([^"]+)"', str(page.root["data-specs"]))
    assert specs == [f"/api/v1/{name}/openapi.json" for name in DOCUMENTED_SERVICES]
    bundle = await client.get("/docs/redoc.standalone.js")
    assert bundle.headers["content-type"] == "text/javascript; charset=utf-8"
    assert len(bundle.content) > 1_000_000


async def test_assets_have_types_validators_and_nothing_else_is_served(client):
    bundle = await client.get("/docs/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.headers["cache-control"] == "public, max-age=3600"
    assert len(bundle.content) > 1_000_000
    again = await client.get("/docs/swagger-ui-bundle.js", headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    css = await client.get("/docs/swagger-ui.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    for name in ("VENDORED.md", "LICENSE", "router.py", "..%2Frouter.py", "swagger-ui.js", "index.html"):
        assert (await client.get(f"/docs/{name}")).status_code == 404, name


def test_the_vendored_version_is_the_one_written_down():
    static = Path(auth_service.docs.__file__).parent / "static"
    assert f"swagger-ui-dist {SWAGGER_UI_VERSION}" in (static / "VENDORED.md").read_text()
    assert f"redoc {REDOC_VERSION}" in (static / "VENDORED.md").read_text()
    assert "https://" not in (static / "docs.js").read_text()
    assert "https://" not in (static / "merge.js").read_text()


async def test_the_routed_openapi_document_describes_what_the_gateway_routes(client):
    response = await client.get("/api/v1/auth/openapi.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    document = response.json()
    assert "/api/v1/auth/login" in document["paths"]
    assert "/.well-known/jwks.json" in document["paths"]
    assert all(path.startswith(("/api/", "/.well-known/")) for path in document["paths"])
    flows = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/login"  # what "Authorize" uses
    assert (await client.get("/docs/openapi.json")).status_code == 404


# --- staging and production ---------------------------------------------------------------------------
async def _app_in(environment: str, settings: AuthSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An auth app built for another environment; routes are decided when the app is built."""
    overrides = {
        "environment": environment,
        "amqp_url": "amqp://docs:not-a-default@127.0.0.1:5672/",
        "mail_token_key": "a-real-mail-token-key",
    }
    other = AuthSettings(**{**settings.model_dump(), **overrides})
    app = create_app(other)
    # No lifespan here (nothing to connect for these routes): give the admin check its verifier.
    app.state.verifier = TokenVerifier(
        load_keyring(other).public_keys(), issuer=other.jwt_issuer, audience=other.jwt_audience
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def staging(settings: AuthSettings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _app_in("staging", settings):
        yield client


@pytest.fixture
async def production(settings: AuthSettings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _app_in("production", settings):
        yield client


async def test_in_staging_the_documents_need_an_admin(client, api, staging):
    page = await _page(staging)  # the page itself holds no API information
    assert page.scripts
    user, admin = await api.signup(), await api.admin()
    assert (await staging.get("/api/v1/auth/openapi.json")).status_code == 401
    refused = await staging.get("/api/v1/auth/openapi.json", headers=user.headers)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This needs the admin role"
    allowed = await staging.get("/api/v1/auth/openapi.json", headers=admin.headers)
    assert allowed.status_code == 200
    assert "/api/v1/auth/me" in allowed.json()["paths"]


async def test_in_production_there_are_no_docs(production):
    for path in ("/docs", "/redoc", "/docs/redoc.js", "/docs/docs.js", "/api/v1/auth/openapi.json"):
        response = await production.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"] == "Not Found"
