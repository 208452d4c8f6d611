"""`rasa data validate --fail-on-warnings`, with the one warning Rasa cannot get right checked by us instead.

Rasa's validator only sees responses named in stories and rules. Responses that a form asks
(`utter_ask_<slot>`) or that a custom action utters by name are invisible to it, so it calls them
unused. For exactly those we prove the use ourselves; any other warning fails the test.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Rasa's own default actions utter these (action_restart says utter_restart when it exists).
UTTERED_BY_RASA = {"utter_restart"}
# Quoted names that are not responses: Rasa's own key for "which response produced this message".
NOT_RESPONSES = {"utter_action"}
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")


def domain() -> dict:
    merged: dict = {"responses": {}, "forms": {}, "slots": {}}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text()) or {}
        for key in merged:
            merged[key].update(part.get(key) or {})
    return merged


def uttered_by_code(responses: set[str]) -> set[str]:
    """Response names that actions or policy data utter: literal names, and every response that
    matches a name an action builds at run time (f"utter_proposal_{solution}")."""
    found = set()
    for path in list((ROOT / "actions").glob("*.py")) + list((ROOT / "bot").rglob("*.py")):
        text = path.read_text()
        found |= set(re.findall(r"[\"'](utter_\w+)[\"']", text)) - NOT_RESPONSES
        for prefix in re.findall(r"f[\"'](utter_\w+?)\{", text):
            found |= {name for name in responses if name.startswith(prefix)}
    for path in (ROOT / "bot").rglob("*.yml"):
        found |= set(re.findall(r"\butter_\w+", path.read_text()))
    return found


def asked_by_forms(merged: dict) -> set[str]:
    return {f"utter_ask_{slot}" for form in merged["forms"].values() for slot in form["required_slots"]}


def test_rasa_data_validate_has_no_other_warnings():
    result = subprocess.run([str(ROOT / ".venv/bin/rasa"), "data", "validate", "--domain", "domain", "--data", "data"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    merged = domain()
    explained = uttered_by_code(set(merged["responses"])) | asked_by_forms(merged) | UTTERED_BY_RASA
    unexplained = [name for name in UNUSED.findall(output) if name not in explained]
    assert unexplained == [], f"responses nobody uses: {unexplained}"
    other = [line for line in output.splitlines()
             if "UserWarning" in line and not UNUSED.search(line)]
    assert other == []
    assert "No story structure conflicts found" in output


def test_every_response_an_action_utters_exists():
    merged = domain()
    missing = sorted(uttered_by_code(set(merged["responses"])) - set(merged["responses"]))
    assert missing == []


def test_actions_never_write_sentences_themselves():
    for path in (ROOT / "actions").glob("*.py"):
        assert "utter_message(text" not in path.read_text(), path.name
