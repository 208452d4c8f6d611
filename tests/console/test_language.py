"""The console stays Dutch but shows each customer's language on the queue and the card (issue 27)."""
from __future__ import annotations

import re

from tests.console.conftest import SUMMARY, handed_over_case


def test_the_queue_and_the_card_show_the_customers_language(agent, fake_rasa):
    english = handed_over_case("rest:emma", summary={**SUMMARY, "language": "en"})
    dutch = handed_over_case("rest:daan", summary={**SUMMARY, "language": "nl"})
    older = handed_over_case("rest:oud", summary=None)  # handed over before issue 27: Dutch
    html = agent.get("/queue").text
    languages = dict(re.findall(r'data-case="(\d+)".*?<td data-label="Taal" class="language">(\w+)</td>', html, re.S))
    assert languages == {str(english): "English", str(dutch): "Nederlands", str(older): "Nederlands"}
    card = agent.get(f"/cases/{english}").text
    assert "Taal van de klant:</strong> English" in card and "antwoord ook in deze taal" in card
    assert "Taal van de klant:</strong> Nederlands" in agent.get(f"/cases/{dutch}").text


def test_a_handover_stores_the_conversation_language(database, fixed_clock):
    from actions.handover import CUSTOMER_ASKED, hand_over
    from bot.store.db import session_scope
    from bot.store.models import Case
    from tests.actions.conftest import make_tracker

    hand_over(make_tracker({"language": "en"}, sender="rest:anne"), CUSTOMER_ASKED)
    with session_scope() as session:
        case = session.query(Case).filter_by(sender_id="rest:anne").one()
        assert case.summary["language"] == "en"
