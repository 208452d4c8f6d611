"""`jsonschema.validate` that checks each schema against its metaschema once per process.

Rasa 3.6 validates every custom action's response with `jsonschema.validate(result, schema)`,
and jsonschema first checks Rasa's large event schema against the 2020-12 metaschema on every
call: about half of a turn's CPU in the Rasa server (bench/results/profile-20261123-0138.md;
A/B in ab-jsonschema_once-20261123-0121.md: p95 491 -> 268 ms). That check never changes for
a given schema, so its outcome is kept; the instance is still validated every time and fails
with the error jsonschema itself would raise (best_match).
"""
from __future__ import annotations

import json
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

_original = jsonschema.validate
_checked: dict[str, Any] = {}


def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    if cls is not None or args or kwargs:
        return _original(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _checked.get(key)
    if validator is None:
        klass = validators.validator_for(schema)
        klass.check_schema(schema)
        validator = _checked[key] = klass(schema)
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def install() -> None:
    """Rasa imports `validate` from jsonschema inside the function that checks action results,
    so replacing the module attribute is enough."""
    jsonschema.validate = validate
