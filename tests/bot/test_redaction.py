from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from bot.rasa_ext.tracker_store import PLACEHOLDER, _answers_to_secret_questions, needs_redaction, redacted


def test_answers_while_the_birth_date_is_asked_are_found():
    events = [SlotSet("requested_slot", "customer_number"), UserUttered("100001"),
              SlotSet("requested_slot", "birth_date"), UserUttered("twaalf april"), ActionExecuted("x"),
              SlotSet("requested_slot", None), UserUttered("hoi")]
    assert _answers_to_secret_questions(events) == {3}


def test_what_is_redacted_and_what_is_kept():
    secret = {1}
    assert needs_redaction(1, UserUttered("twaalf april"), secret)
    assert needs_redaction(5, UserUttered("ik ben geboren op 3 november 1979"), secret)
    assert not needs_redaction(5, UserUttered("mijn klantnummer is 100001"), secret)
    assert needs_redaction(0, SlotSet("birth_date", "12-04-1988"), secret)
    assert not needs_redaction(0, SlotSet("birth_date", None), secret)
    assert not needs_redaction(0, SlotSet("verified", True), secret)
    assert needs_redaction(0, SlotSet("cause_description", "ik ben op 12 april 1988 geboren"), secret)
    assert not needs_redaction(0, SlotSet("cause_description", "ik was het vergeten"), secret)


def test_redacted_copies_keep_the_intent_and_lose_the_text():
    event = UserUttered("12-04-1988", {"name": "inform", "confidence": 0.9}, [],
                        {"text": "12-04-1988", "intent": {"name": "inform"}}, input_channel="rest")
    copy = redacted(event)
    assert copy.text == PLACEHOLDER and copy.parse_data["text"] == PLACEHOLDER
    assert copy.intent_name == "inform" and copy.input_channel == "rest"
    assert redacted(SlotSet("birth_date", "12-04-1988")).value == PLACEHOLDER
