"""The language slot picks the catalogue, and the values inside a response follow (issue 27)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language.values import localise
from bot.rasa_ext.nlg import LanguageNLG

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = yaml.safe_load((ROOT / "languages/en/responses.yml").read_text())["responses"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


def say(domain: Domain, response: str, slots: dict, **kwargs) -> dict:
    tracker = DialogueStateTracker.from_events("rest:t", [SlotSet(k, v) for k, v in slots.items()], domain.slots)
    return asyncio.run(LanguageNLG(None, domain).generate(response, tracker, "rest", **kwargs))


def test_dutch_by_default(domain):
    message = say(domain, "utter_restart", {})
    assert message["text"] == "Oké, we beginnen opnieuw. Stuur een bericht als je klaar bent."


def test_dutch_follows_the_domain_rasa_sets_after_loading_the_model(domain):
    # rasa.core.agent makes the generator with an empty domain, then sets the model's responses.
    nlg = LanguageNLG(None, None)
    nlg.responses = domain.responses
    tracker = DialogueStateTracker.from_events("rest:t", [], domain.slots)
    assert asyncio.run(nlg.generate("utter_restart", tracker, "rest"))["text"].startswith("Oké")
    tracker.update(SlotSet("language", "en"))
    assert asyncio.run(nlg.generate("utter_restart", tracker, "rest"))["text"].startswith("Okay")


def test_the_language_slot_picks_english(domain):
    message = say(domain, "utter_greet", {"language": "en"})
    assert message["text"] in {v["text"] for v in ENGLISH["utter_greet"]}


def test_conditions_and_buttons_work_in_english(domain):
    message = say(domain, "utter_ask_birth_date", {"language": "en", "verification_route": "phone"})
    assert message["text"].startswith("I know your phone number.")
    buttons = say(domain, "utter_ask_agreement", {"language": "en"})["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons] == [("Yes, that works", "ja"), ("No, I can't do that", "nee")]


def test_an_action_can_name_the_language_of_one_message(domain):
    assert say(domain, "utter_language_switched", {"language": "nl"}, language="en")["text"].startswith("Sure")


def test_values_inside_an_english_response_are_english(domain):
    message = say(domain, "utter_arrears_several_terms", {"language": "en"}, loan_name="persoonlijke lening",
                  terms_behind=2, monthly_term="€ 1.150", arrears_amount="€ 2.300,50")
    assert "personal loan" in message["text"] and "€1,150" in message["text"] and "€2,300.50" in message["text"]
    pause = say(domain, "utter_confirm_payment_pause", {"language": "en"}, pause_period="3 maanden",
                checkin_date="12 februari 2027")
    assert pause["text"] == ("Agreed! Your payment takes a break for 3 months. On 12 February 2027 we will get "
                             "in touch with you.")


def test_localising_leaves_dutch_links_and_other_values_alone():
    assert localise("maandag 23 november om 9:00", "en") == "Monday 23 November at 9:00"
    assert localise("elke 3 maanden", "en") == "every 3 months"
    assert localise("https://pay.example/om/maand", "en") == "https://pay.example/om/maand"
    assert localise("3 maanden", "nl") == "3 maanden"
    assert localise(3, "en") == 3
