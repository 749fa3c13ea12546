"""``{{ env "NAME" }}`` rendering, the only Go-template action the native gateway accepts."""

from __future__ import annotations

import pytest

from native_gateway.errors import ConfigError
from native_gateway.template import render


def test_env_is_substituted_and_unset_names_reported():
    text = "a: '{{ env \"A\" }}/x'\nb: '{{env \"B\"}}'\nc: {x: {y: 1}}\n"
    rendered, unset = render(text, {"A": "http://h:1"})
    assert rendered == "a: 'http://h:1/x'\nb: ''\nc: {x: {y: 1}}\n"
    assert unset == {"B"}


@pytest.mark.parametrize(
    "action",
    ['{{ env "A" | quote }}', '{{ env "A" "B" }}', "{{ .Env }}", '{{ if env "A" }}x{{ end }}', '{{ "A" }}'],
)
def test_other_actions_are_refused_with_their_line(action):
    with pytest.raises(ConfigError) as caught:
        render(f"first: line\nsecond: '{action}'\n", {}, source="routes.yml")
    assert "routes.yml:2: unsupported template action" in str(caught.value)


def test_unclosed_action_is_refused():
    with pytest.raises(ConfigError, match="unclosed template action"):
        render('a: {{ env "A"\n', {"A": "x"})
