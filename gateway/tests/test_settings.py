"""Gateway settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from native_gateway.errors import ConfigError
from native_gateway.settings import DEFAULT_CONFIG, Settings


def test_defaults():
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.config_path == DEFAULT_CONFIG
    assert DEFAULT_CONFIG.is_file()
    assert settings.upstream_timeout is None
    assert settings.access_log is True


def test_from_env():
    settings = Settings.from_env(
        {
            "GATEWAY_CONFIG": "/etc/gateway/routes.yml",
            "GATEWAY_HOST": "0.0.0.0",
            "GATEWAY_PORT": "9000",
            "GATEWAY_UPSTREAM_TIMEOUT": "2.5",
            "GATEWAY_ACCESS_LOG": "off",
            "WEB_CONCURRENCY": "2",
        }
    )
    assert settings.config_path == Path("/etc/gateway/routes.yml")
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9000, 2)
    assert settings.upstream_timeout == 2.5
    assert settings.access_log is False
    assert Settings.from_env({"GATEWAY_UPSTREAM_TIMEOUT": "1500ms"}).upstream_timeout == 1.5


def test_bad_values_are_refused():
    with pytest.raises(ConfigError, match="invalid gateway environment"):
        Settings.from_env({"GATEWAY_PORT": "eighty"})
