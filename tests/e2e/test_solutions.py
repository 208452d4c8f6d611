"""Every solution path reached in conversation with the demo customers (issue 3) and the handovers
the policy asks for (issue 5), against the real Rasa server and action server."""
from __future__ import annotations

from tests.e2e.test_core_conversation import texts, verify


def through_questions(stack, sender, cause, followup, control, figures=(), extra=()):
    stack.say(sender, cause)
    stack.say(sender, followup)
    for answer in extra:
        stack.say(sender, answer)
    reply = ""
    for answer in (*control, *figures):
        reply = texts(stack.say(sender, answer))
    return reply


def test_pay_now_for_a_forgotten_payment(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    reply = through_questions(stack, sender, "ik was het vergeten", "ja hoor", ["nee"] * 4)
    assert "€ 210" in reply and "Past dit bij je?" in reply
    slots = stack.slots(sender)
    assert slots["solution"] == "pay_now" and slots["awaiting_agreement"] is True
    reply = texts(stack.say(sender, "ja"))
    # One question on how to pay follows; the bank account only once the customer chose transfer.
    assert "Afgesproken" in reply and "Hoe wil je betalen?" in reply and "NL91ABNA0417164300" not in reply
    assert stack.slots(sender)["awaiting_agreement"] is False
    reply = texts(stack.say(sender, "ik maak het zelf over"))
    assert "NL91ABNA0417164300" in reply


def test_an_arrangement_within_capacity_and_a_too_high_own_offer(stack, sender):
    verify(stack, sender, "100002", "03-11-1979")
    reply = through_questions(stack, sender, "ik ben minder uren gaan werken", "nee dat blijft zo",
                              ["ja", "nee", "nee", "nee"],
                              ["4000", "900", "350", "met mijn vrouw en de kinderen", "2"])
    slots = stack.slots(sender)
    assert slots["solution"] == "payment_arrangement", reply
    assert slots["arrangement_amount"] <= slots["monthly_capacity"]
    assert slots["arrangement_months"] <= 12
    stack.say(sender, "nee dat lukt niet")
    reply = texts(stack.say(sender, "ik kan 2500 per maand"))
    assert "te weinig over" in reply
    slots = stack.slots(sender)
    assert slots["arrangement_amount"] <= slots["monthly_capacity"] < 2500
    assert "Past dit bij je?" in reply


def test_a_pause_for_a_temporary_cause_with_a_clear_end(stack, sender):
    verify(stack, sender, "100003", "21-07-1965")
    reply = through_questions(stack, sender, "ik ben ziek geworden, een burn-out", "ja over een paar maanden wel",
                              ["nee"] * 4, extra=["over 3 maanden"])
    slots = stack.slots(sender)
    assert slots["arrears_cause"] == "illness" and slots["recovery_months"] == 3
    assert slots["solution"] == "payment_pause", reply
    assert "pauze" in reply


def test_debts_elsewhere_lead_to_debt_help_and_a_person(stack, sender):
    verify(stack, sender, "100002", "03-11-1979")
    reply = through_questions(stack, sender, "er ligt loonbeslag op mijn salaris",
                              "bij de belastingdienst en een incassobureau", ["ja", "nee", "ja", "nee"],
                              ["1800", "800", "400", "ik woon alleen"])
    tracker = stack.tracker(sender)
    assert tracker["slots"]["solution"] == "debt_help_referral", reply
    assert tracker["slots"]["handoff_reason"].startswith("signal:")
    assert tracker["paused"] is True
    assert "gemeente" in reply and "collega" in reply


def test_a_hopeless_case_gets_remission_confirmed_by_staff(stack, sender):
    verify(stack, sender, "100004", "30-01-1992")
    reply = through_questions(stack, sender, "ik verdien gewoon te weinig sinds mijn nieuwe baan",
                              "nee dat blijft zo", ["ja", "nee", "nee", "nee"],
                              ["2000", "800", "300", "alleen"])
    tracker = stack.tracker(sender)
    slots = tracker["slots"]
    assert slots["solution"] in ("remission_arrangement", "restructuring", "interest_freeze"), reply
    assert slots["handoff_reason"].startswith("staff_confirmation:")
    assert tracker["paused"] is True and "goedkeuren" in reply


def test_crisis_at_any_moment_brings_the_crisis_line_and_a_person(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    reply = texts(stack.say(sender, "ik zie het echt niet meer zitten, ik wil dood"))
    assert "113" in reply and "0800-0113" in reply
    tracker = stack.tracker(sender)
    assert tracker["paused"] is True and tracker["slots"]["handoff_reason"] == "crisis"
    assert "crisis" in tracker["slots"]["signals"]


def test_part_now_and_the_rest_later(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    through_questions(stack, sender, "ik was het vergeten", "ja", ["nee"] * 4)
    assert stack.slots(sender)["solution"] == "pay_now"
    reply = texts(stack.say(sender, "nee alles in een keer lukt niet"))
    assert "Hoeveel kun je nu wel betalen?" in reply
    reply = texts(stack.say(sender, "100 euro"))
    slots = stack.slots(sender)
    assert slots["solution"] == "partial_payment", reply
    assert "€ 100" in reply and "Past dit bij je?" in reply
