"""The cached schema check Rasa's server uses for every custom action response (issue 7)."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import bot.rasa_ext  # noqa: F401 - installs the cached check, as Rasa's server does
from bot.rasa_ext import schema_check


def test_rasa_validates_action_responses_through_the_cached_check(monkeypatch):
    calls = []
    original = jsonschema.validators.Draft202012Validator.check_schema
    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema: calls.append(1) or original(schema)))
    schema_check._checked.clear()
    action = RemoteAction("action_x", None)
    good = {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hoi"}]}
    for _ in range(5):
        assert action._validate_action_result(good) is True
    assert len(calls) == 1  # the metaschema check ran once, not five times


def test_invalid_responses_fail_exactly_as_with_plain_jsonschema():
    bad = {"events": [{"event": "slot", "value": 1}], "responses": "not a list"}
    schema = RemoteAction("action_x", None).action_response_format_spec()
    with pytest.raises(jsonschema.ValidationError) as ours:
        schema_check.validate(bad, schema)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        schema_check._original(bad, schema)
    assert ours.value.message == theirs.value.message and list(ours.value.path) == list(theirs.value.path)
    with pytest.raises(jsonschema.ValidationError):
        RemoteAction("action_x", None)._validate_action_result(bad)
