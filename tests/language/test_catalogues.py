"""Every response exists in every language, with the same placeholders, buttons and conditions (issue 27)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.language.choice import DEFAULT, LANGUAGES_DIR, supported

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dutch() -> dict:
    merged: dict = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        merged.update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return merged


def catalogue(code: str) -> dict:
    return (yaml.safe_load((LANGUAGES_DIR / code / "responses.yml").read_text()) or {})["responses"]


OTHER_LANGUAGES = [code for code in supported() if code != DEFAULT]


def placeholders(variations: list[dict]) -> set[str]:
    found = set()
    for variation in variations:
        for key in ("text", "image"):
            found |= set(PLACEHOLDER.findall(str(variation.get(key) or "")))
    return found


def shape(variations: list[dict]) -> list[tuple]:
    """What must not change in translation: conditions, button payloads, images, channels."""
    return sorted((repr(v.get("condition")), tuple(b["payload"] for b in v.get("buttons") or ()),
                   v.get("image"), v.get("channel")) for v in variations)


def test_english_is_a_supported_language():
    assert set(supported()) >= {"nl", "en"}


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_response_exists_in_every_language(code):
    theirs, ours = catalogue(code), dutch()
    assert sorted(set(ours) - set(theirs)) == [], f"missing in {code}"
    assert sorted(set(theirs) - set(ours)) == [], f"in {code} but not in the domain"


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_translations_keep_placeholders_buttons_and_conditions(code):
    theirs, ours = catalogue(code), dutch()
    for name, variations in ours.items():
        assert placeholders(theirs[name]) == placeholders(variations), name
        # Variation texts may differ in number; the conditional and button-carrying ones may not.
        assert {s for s in shape(theirs[name])} == {s for s in shape(variations)}, name
        for variation in theirs[name]:
            assert variation.get("text", "").strip(), name


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_each_language_folder_is_complete(code):
    for part in ("language.yml", "responses.yml", "values.yml", "plain_language.yml"):
        assert (LANGUAGES_DIR / code / part).exists(), f"{code}/{part}"
    assert list((ROOT / "data" / code / "nlu").glob("*.yml")), f"no training data for {code}"


def test_the_widget_has_the_same_texts_in_every_language_and_serves_them():
    from bot.web.widget_routes import widget_script

    keys = {code: set(yaml.safe_load((LANGUAGES_DIR / code / "widget.yml").read_text())) for code in supported()}
    assert all(k == keys[DEFAULT] for k in keys.values()), keys
    script = widget_script().decode("utf-8")
    assert '"Chat with Betaalhulp"' in script and '"Chat met Betaalhulp"' in script
    assert '"switchMessage": "in English please"' in script and "/* TEXTS */" not in script


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_whatsapp_template_exists_in_every_language_with_the_same_variables(code):
    from bot.channels.twilio_templates import load_templates, templates_in

    dutch, theirs = load_templates(), templates_in(code)
    assert set(theirs) == set(dutch)
    assert all(theirs[name].variables == dutch[name].variables and theirs[name].text for name in dutch)
    assert all(theirs[name].content_sid != dutch[name].content_sid for name in dutch)
