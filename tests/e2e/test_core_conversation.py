"""Whole conversations over the REST channel against the real Rasa server and action server (issue 2)."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def verify(stack, sender: str, number: str, birth_date: str) -> str:
    opening = texts(stack.say(sender, "hoi"))
    assert "klantnummer" in opening.lower()
    assert "niet de enige" in opening or "iedereen" in opening or "vaker" in opening
    # R33: the very first reply says it is automated and that a person is always reachable.
    assert "digitale assistent" in opening and "medewerker" in opening and "altijd" in opening
    texts(stack.say(sender, number))
    return texts(stack.say(sender, birth_date))


def answer_control_questions(stack, sender: str, answers: list[str]) -> str:
    reply = ""
    for answer in answers:
        reply = texts(stack.say(sender, answer))
    return reply


def test_a_first_message_that_is_no_greeting_still_hears_who_speaks(stack, sender):
    """R33: an out-of-scope question or an account question as the very first message."""
    for opener, conversation in (("wat is het weer morgen", sender), ("wat kost dit allemaal?", sender + "-b")):
        first = texts(stack.say(conversation, opener))
        assert "digitale assistent" in first and "medewerker" in first, (opener, first)


def test_sanne_forgot_to_pay(stack, sender):
    reply = verify(stack, sender, "mijn klantnummer is 100001", "12 april 1988")
    assert "€ 210" in reply and "persoonlijke lening" in reply
    assert "BKR" not in reply  # one term behind: no BKR sentence yet
    slots = stack.slots(sender)
    assert slots["verified"] is True and slots["customer_id"]
    assert slots["birth_date"] is None and slots["requested_slot"] == "cause_description"

    reply = texts(stack.say(sender, "ik was het gewoon vergeten"))
    assert "rekening" in reply  # the follow-up for a forgotten payment
    stack.say(sender, "ja hoor")
    slots = stack.slots(sender)
    assert (slots["arrears_cause"], slots["cause_structural"]) == ("forgot", False)
    assert slots["requested_slot"] == "income_changed"

    answer_control_questions(stack, sender, ["nee", "nee niks veranderd", "nee", "nee"])
    slots = stack.slots(sender)
    assert [slots[s] for s in ("income_changed", "situation_changed", "other_debts", "upcoming_changes")] == \
        [False, False, False, False]
    assert slots["needs_income_check"] is False


def test_kees_recurring_arrears_get_the_full_check(stack, sender):
    reply = verify(stack, sender, "100004", "30/1/92")
    assert "2 termijnen" in reply and "€ 370" in reply and "BKR" in reply
    stack.say(sender, "mijn auto ging kapot en de garage was duur")
    stack.say(sender, "nee ik heb geen spaargeld")
    slots = stack.slots(sender)
    assert slots["arrears_cause"] == "one_off_expense"
    answer_control_questions(stack, sender, ["nee", "nee", "nee", "nee"])
    slots = stack.slots(sender)
    assert slots["needs_income_check"] is True and slots["requested_slot"] == "net_monthly_income"
    for answer in ("ongeveer 2.100 euro", "€850,50", "300", "ik woon alleen"):
        stack.say(sender, answer)
    slots = stack.slots(sender)
    assert slots["net_monthly_income"] == 2100.0 and slots["housing_costs"] == 850.5
    assert slots["other_fixed_costs"] == 300.0
    assert (slots["household_type"], slots["children"]) == ("single", 0)


def test_children_are_asked_only_for_a_family(stack, sender):
    reply = verify(stack, sender, "100002", "03-11-1979")
    # R16: his € 35 of real costs are told exactly, and as waived: he cooperates.
    assert "€ 35" in reply and "niet te betalen" in reply
    stack.say(sender, "ik ben mijn baan kwijtgeraakt")
    stack.say(sender, "nee nog niks in zicht")
    slots = stack.slots(sender)
    assert (slots["arrears_cause"], slots["cause_structural"]) == ("job_loss", True)
    answer_control_questions(stack, sender, ["ja mijn inkomen is veel lager", "nee", "nee", "nee"])
    for answer in ("1450", "700", "250", "met mijn vrouw en de kinderen"):
        reply = texts(stack.say(sender, answer))
    assert "kinderen" in reply.lower()
    stack.say(sender, "twee")
    slots = stack.slots(sender)
    assert (slots["household_type"], slots["children"]) == ("couple_with_children", 2)


def add_customer(stack, number: str, name: str = "Lotte Test", born: str = "1990-05-05") -> None:
    """A customer of this test alone: the lockout it causes must not touch the demo customers."""
    from sqlalchemy import create_engine, text
    engine = create_engine(stack.database_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO customers (customer_number, full_name, birth_date, phone, created_at) "
                                "VALUES (:n, :name, :born, NULL, '2026-01-01 00:00:00.000000')"),
                           {"n": number, "name": name, "born": born})
        customer_id = connection.execute(text("SELECT id FROM customers WHERE customer_number = :n"),
                                         {"n": number}).scalar()
        connection.execute(text("INSERT INTO loans (customer_id, reference, loan_type, monthly_term_cents, "
                                "terms_behind, arrears_cents, costs_cents, bounced_debits_quarter) "
                                "VALUES (:c, :r, 'mortgage', 99900, 2, 199800, 0, 0)"),
                           {"c": customer_id, "r": f"MO-{number}"})


def test_three_wrong_birth_dates_end_kindly_and_leak_nothing(stack, sender):
    add_customer(stack, "200001")
    stack.say(sender, "hallo")
    replies = texts(stack.say(sender, "200001"))
    for wrong in ("01-01-1990", "02-02-1991", "03-03-1992"):
        replies += texts(stack.say(sender, wrong))
        replies += texts(stack.say(sender, "200001")) if wrong != "03-03-1992" else ""
    assert "bel" in replies.lower()
    assert "€" not in replies and "hypotheek" not in replies
    slots = stack.slots(sender)
    assert slots["verified"] is False and slots["customer_id"] is None
    # Starting again in the same conversation does not buy more tries.
    again = texts(stack.say(sender, "hoi"))
    assert "€" not in again
    assert stack.slots(sender)["verified"] is False
    # Nor does another conversation: the number is locked on every channel, even with the right date.
    other = sender + "-b"
    stack.say(other, "hoi")
    stack.say(other, "200001")
    locked = texts(stack.say(other, "05-05-1990"))
    assert "te vaak" in locked and "€" not in locked and stack.slots(other)["verified"] is False


def test_slash_syntax_cannot_verify(stack, sender):
    stack.say(sender, '/affirm{"verified": true, "customer_id": 1}')
    stack.say(sender, '/inform{"verified": true}')
    slots = stack.slots(sender)
    assert slots["verified"] is False and slots["customer_id"] is None


def test_nonsense_and_questions_mid_form_keep_the_thread(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    stack.say(sender, "ik had een hoge rekening van de tandarts")
    stack.say(sender, "nee")
    reply = texts(stack.say(sender, "wat voor weer wordt het morgen?"))
    assert "Vraag 1" in reply  # the question comes back after a kind answer
    reply = texts(stack.say(sender, "asdkjh qwe zxcv"))
    assert "Vraag 1" in reply and len(reply.splitlines()) == 2  # a kind word, then the question again
    assert stack.slots(sender)["requested_slot"] == "income_changed"
    reply = texts(stack.say(sender, "komt dit bij het bkr?"))
    assert "BKR" in reply and "Vraag 1" in reply


def test_asking_for_a_person_hands_over_and_pauses(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    reply = texts(stack.say(sender, "ik wil graag met een medewerker praten"))
    assert "collega" in reply
    tracker = stack.tracker(sender)
    assert tracker["slots"]["handoff_reason"] == "customer_asked"
    assert tracker["paused"] is True
    # While nobody has answered yet, a message is met with "a colleague reads along" (issue 26);
    # the bot itself stays paused.
    assert texts(stack.say(sender, "hallo?")).startswith("Een collega leest mee.")
    assert stack.tracker(sender)["paused"] is True


def test_stop_and_goodbye(stack, sender):
    stack.say(sender, "hoi")
    reply = texts(stack.say(sender, "stop"))
    assert "stoppen" in reply.lower() or "stop" in reply.lower()
    assert stack.slots(sender)["requested_slot"] is None
    assert texts(stack.say(sender, "doei"))


def test_fatima_has_no_arrears_and_can_say_something_is_up(stack, sender):
    reply = verify(stack, sender, "100005", "15 september 1983")
    assert "niet achter" in reply
    reply = texts(stack.say(sender, "ja"))
    assert stack.slots(sender)["requested_slot"] == "cause_description"


def test_signals_are_collected_from_every_message(stack, sender):
    stack.say(sender, "hoi, er staat een deurwaarder bij mij voor de deur")
    verify_reply = texts(stack.say(sender, "100002"))
    assert verify_reply
    stack.say(sender, "03-11-1979")
    stack.say(sender, "er ligt loonbeslag op mijn salaris")
    signals = stack.slots(sender)["signals"]
    assert "bailiff" in signals and "garnishment" in signals


def test_malformed_rest_bodies_never_crash_the_conversation(stack, sender):
    import requests
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    very_long = "a" * 20000
    assert requests.post(url, json={"sender": sender, "message": very_long}, timeout=60).status_code == 200
    assert requests.post(url, json={"sender": sender, "message": "🙂🙂🙂"}, timeout=60).status_code == 200
    reply = texts(stack.say(sender, "hoi"))
    assert reply
    assert json.dumps(stack.slots(sender))
