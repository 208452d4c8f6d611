"""R33 (EU AI Act art. 50(1)): whatever message opens a conversation says that the customer talks
to an automated assistant and that a person is always reachable.

The openers are found, not listed: the first response of every rule that starts a conversation
with an unverified customer, and the responses of the follow-up messages that reach a customer
who may never have written to us (first contact on new arrears, preventive contact).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.test_training_data import domain

ROOT = Path(__file__).resolve().parents[1]
# The two things the customer must learn from the first message, as the bot says them.
AUTOMATED = "digitale assistent"
PERSON_REACHABLE = "medewerker"
# Follow-up kinds that can be the first message a customer ever gets from us.
OPENING_FOLLOWUPS = ("new_arrears", "preventive")
# Answers to the likeliest first messages that are no greeting (the rules answer them without
# one): a question outside our subject, and a question about the account before verification.
OTHER_OPENERS = {"utter_out_of_scope", "utter_need_verification_first"}


def opening_responses_of_rules() -> set[str]:
    """The first response uttered by each rule whose condition is an unverified customer who is
    not answering a question we asked (so the rule can open the conversation)."""
    found = set()
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text()).get("rules") or []:
            condition = rule.get("condition") or []
            slots = [item["slot_was_set"] for item in condition if "slot_was_set" in item]
            flat = {key: value for group in slots for entry in group for key, value in entry.items()}
            if flat.get("verified") is not False or flat.get("awaiting_satisfaction"):
                continue
            actions = [step["action"] for step in rule["steps"] if "action" in step]
            first = next((a for a in actions if a.startswith("utter_")), None)
            if first:
                found.add(first)
    return found


def opening_followup_responses() -> set[str]:
    policy = yaml.safe_load((ROOT / "bot" / "followup" / "policy.yml").read_text())
    kinds = policy.get("kinds", policy)
    return {kinds[kind]["response"] for kind in OPENING_FOLLOWUPS}


def test_every_opening_response_says_it_is_automated_and_a_person_is_reachable():
    openers = opening_responses_of_rules() | opening_followup_responses() | {"utter_iamabot"} | OTHER_OPENERS
    assert {"utter_greet", "utter_reassessment_start", "utter_followup_new_arrears",
            "utter_followup_preventive"} <= openers
    responses = domain()["responses"]
    for name in sorted(openers):
        for variant in responses[name]:
            text = variant["text"].lower()
            assert AUTOMATED in text, f"{name} does not say it is a digital assistant: {text}"
            assert PERSON_REACHABLE in text and "altijd" in text, f"{name} does not offer a person: {text}"


def test_the_whatsapp_templates_of_opening_messages_say_it_too():
    templates = yaml.safe_load((ROOT / "bot" / "channels" / "whatsapp_templates.yml").read_text())
    for response in opening_followup_responses():
        template = templates["templates"][templates["responses"][response]["template"]]
        assert AUTOMATED in template["text"] and PERSON_REACHABLE in template["text"], response
