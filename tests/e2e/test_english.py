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
