"""The customer's wish, heard in any message (R4, R12; issue 22)."""
import pytest

from bot.policy.wishes import read_wish


@pytest.mark.parametrize("text, wish", [
    # said inside the answer to a follow-up or control question
    ("Ja, mijn WW is aangevraagd. Kan ik een paar maanden uitstel krijgen?", "pause"),
    ("Nee, dat blijft zo. Kan ik niet een paar maanden uitstel krijgen?", "pause"),
    ("Ja, en ik wil graag een paar maanden uitstel.", "pause"),
    ("Ik kan even niks betalen", "pause"),
    ("Nee, geen spaargeld. Kan ik het in delen betalen?", "arrangement"),
    ("Ik betaal liever in termijnen.", "arrangement"),
    ("Ik wil het gewoon nu betalen", "pay_now"),
    ("ik kan alles in één keer betalen", "pay_now"),
    ("Ja, maar ik wil eerst even met iemand praten.", "person"),
    ("Kan ik een medewerker spreken?", "person"),
    # no wish: a statement, a negation, or what someone else already gave
    ("Ik was het vergeten.", None),
    ("Nee, er staat nu te weinig op mijn rekening.", None),
    ("Ik wil geen regeling", None),
    ("Ja, ik heb een regeling bij de gemeente", None),
    ("Ik heb uitstel van betaling gekregen van de belasting", None),
    ("Ik wil liever geen medewerker", None),
    ("", None),
])
def test_the_wish_in_a_message(text, wish):
    assert read_wish(text) == wish
