"""English conversations over REST against the real stack (issue 27): the language follows the customer."""
from __future__ import annotations

import pytest

from bot.store.db import session_scope
from bot.store.models import Customer

pytestmark = pytest.mark.e2e


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def stored_language(stack, number: str) -> str | None:
    with session_scope(stack.database_url) as session:
        return session.query(Customer).filter_by(customer_number=number).one().language


def test_an_english_opening_gets_english_and_is_remembered(stack, sender):
    reply = texts(stack.say(sender, "hello, I got a message that I'm behind on my loan payments"))
    assert "customer number" in reply and "klantnummer" not in reply
    assert stack.slots(sender)["language"] == "en"
    texts(stack.say(sender, "100002"))
    reply = texts(stack.say(sender, "03/11/1979"))
    assert "3 open payments for your revolving credit" in reply or "3 payments for your revolving credit" in reply
    assert "€750" in reply
    assert stored_language(stack, "100002") == "en"


def test_a_switch_mid_conversation_and_back(stack, sender):
    reply = texts(stack.say(sender, "hoi"))
    assert "klantnummer" in reply
    reply = texts(stack.say(sender, "in English please"))
    # Confirmed in English, and the open question comes back in English.
    assert reply.startswith("Sure, from now on I will write in English.") and "customer number" in reply
    slots = stack.slots(sender)
    assert slots["language"] == "en" and slots["customer_number"] is None
    reply = texts(stack.say(sender, "Nederlands graag"))
    assert "Nederlands" in reply and "klantnummer" in reply


def no_dutch(reply: str) -> None:
    for word in (" je ", "klantnummer", "betaling", "Dank je", "Mijn voorstel", "maanden", "termijn"):
        assert word not in reply, word


def test_mohamed_in_english_from_verification_through_the_income_check_to_a_proposal(stack, sender):
    stack.say(sender, "hello, I got a message that I'm behind on my loan payments")
    stack.say(sender, "my customer number is 100002")
    reply = texts(stack.say(sender, "November 3, 1979"))
    assert "3 open payments for your revolving credit" in reply or "3 payments for your revolving credit" in reply
    assert "€250" in reply and "€750" in reply and "BKR" in reply
    reply = texts(stack.say(sender, "I lost my job two months ago"))
    assert "lost your job" in reply.lower() or "losing your job" in reply.lower()
    reply = texts(stack.say(sender, "no, nothing in sight yet"))
    assert "Question 1." in reply
    for answer in ("yes my income is much lower", "no", "no other debts", "no"):
        reply = texts(stack.say(sender, answer))
    assert "How much money comes in each month?" in reply
    for answer in ("about 1,450 a month", "700", "250", "me, my wife and the kids", "two"):
        reply = texts(stack.say(sender, answer))
    no_dutch(reply)
    slots = stack.slots(sender)
    assert (slots["arrears_cause"], slots["cause_structural"]) == ("job_loss", True)
    assert [slots[s] for s in ("income_changed", "situation_changed", "other_debts", "upcoming_changes")] == \
        [True, False, False, False]
    assert (slots["net_monthly_income"], slots["housing_costs"], slots["other_fixed_costs"]) == (1450.0, 700.0, 250.0)
    assert (slots["household_type"], slots["children"]) == ("couple_with_children", 2)
    assert slots["solution"] and slots["language"] == "en"
    assert "free" in reply and "town council" in reply  # the proposal: free debt help, in English


def test_sanne_in_english_gets_a_payment_link(stack, sender):
    stack.say(sender, "hi there, I think I missed a payment on my loan")
    stack.say(sender, "100001")
    reply = texts(stack.say(sender, "12/04/1988"))
    assert "1 payment for your personal loan" in reply or "1 open payment for your personal loan" in reply
    reply = texts(stack.say(sender, "I want to pay it all now"))
    assert "How would you like to pay?" in reply
    link = stack.say(sender, "link")
    assert "Here is your payment link:" in texts(link)
    assert stack.slots(sender)["payment_url"] in texts(link)


def test_a_crisis_in_english_gets_113_in_english_at_once(stack, sender):
    reply = texts(stack.say(sender, "I can't go on anymore, I want to end my life"))
    assert "Call 113 now, or 0800-0113 for free" in reply and "112" in reply
    slots = stack.slots(sender)
    assert slots["language"] == "en" and "crisis" in slots["signals"]
