"""``X-Client-Version``: parsing, Semantic Versioning precedence, and the setting holding the minimum."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from auth_service.forward_auth.client_version import ClientVersion, ClientVersionPolicy, UpgradeRequired
from auth_service.settings import AuthSettings
from common import BadRequest


@pytest.mark.parametrize("text", ["0.0.0", "1.4.2", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha.beta+exp.sha.5"])
def test_semantic_versions_parse(text):
    assert ClientVersion.parse(text).text == text


MALFORMED = ["", "1", "1.2", "v1.2.3", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3+"]


@pytest.mark.parametrize("text", [*MALFORMED, " 1.2.3", "1.2.x", "1." + "9" * 5000 + ".0"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="not a semantic version"):
        ClientVersion.parse(text)


def test_precedence_follows_semver():
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.9.0",
        "1.10.0",
        "2.0.0",
    ]
    versions = [ClientVersion.parse(text) for text in ordered]
    for lower, higher in itertools.pairwise(versions):
        assert lower < higher, (lower.text, higher.text)
        assert not higher < lower
    build = ClientVersion.parse("1.0.0+build.7")
    assert not build < versions[7]
    assert not versions[7] < build  # build metadata does not count


def test_the_policy_refuses_older_and_malformed_versions():
    policy = ClientVersionPolicy("1.2.0")
    for served in (None, "1.2.0", "1.2.1", "2.0.0", "1.2.0+ci.3"):
        policy.check(served)
    with pytest.raises(UpgradeRequired) as old:
        policy.check("1.2.0-rc.1")
    assert old.value.status_code == 426
    assert "1.2.0 or later" in old.value.detail
    assert old.value.headers == {"X-Min-Client-Version": "1.2.0"}
    with pytest.raises(BadRequest, match="X-Client-Version must be a semantic version"):
        policy.check("latest")


def test_everything_is_served_by_default():
    policy = ClientVersionPolicy(AuthSettings.model_fields["min_client_version"].default)
    policy.check("0.0.0")
    policy.check("0.0.1-alpha")


def test_the_minimum_must_be_a_semantic_version(settings):
    with pytest.raises(ValidationError, match="MIN_CLIENT_VERSION must be a semantic version"):
        AuthSettings(**{**settings.model_dump(), "min_client_version": "1.2"})
