"""The committed clients in ``sdk/`` are what ``make sdk`` generates now (``deploy.sdk``).

Runs both generators (openapi-python-client from the workspace, openapi-typescript from
``sdk/typescript``'s lock file, installed with ``npm ci`` when missing) into a scratch folder.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from deploy import sdk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        pytest.fail("npm is needed to generate the TypeScript client (Debian: apt-get install npm)")
    return found


def test_the_committed_clients_are_what_make_sdk_generates(npm: str) -> None:
    assert sdk.drift() == [], "run `make sdk` and commit sdk/"


def test_the_typescript_client_type_checks(npm: str) -> None:
    sdk.install_typescript_tools()
    tsc = sdk.TYPESCRIPT_DIR / "node_modules" / ".bin" / "tsc"
    result = subprocess.run(
        [str(tsc), "--noEmit", "-p", "."], cwd=sdk.TYPESCRIPT_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
