"""Bench experiment, not part of the product: `jsonschema.validate` that checks each distinct
schema against its metaschema once per process instead of on every call.

Rasa 3.6 validates every custom action's response with `jsonschema.validate(result, schema)`
(rasa/core/actions/action.py, RemoteAction._validate_action_result). jsonschema 4.17's `validate`
first runs `check_schema` on Rasa's large event schema against the draft 2020-12 metaschema: most
of a turn's CPU in the Rasa server (bench/results/profile-*.md). The result of that check never
changes for a given schema, so it is cached here; the instance is still validated every time, with
the same error jsonschema would raise (best_match). `python -m bench.ab` puts this directory on
the Rasa server's PYTHONPATH for one of two otherwise identical set-ups.
"""
import json

import jsonschema
from jsonschema import exceptions, validators

_original = jsonschema.validate
_validators: dict = {}


def validate(instance, schema, cls=None, *args, **kwargs):
    if cls is not None or args or kwargs:
        return _original(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _validators.get(key)
    if validator is None:
        klass = validators.validator_for(schema)
        klass.check_schema(schema)
        validator = _validators[key] = klass(schema)
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


jsonschema.validate = validate
