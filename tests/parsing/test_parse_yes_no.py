import pytest

from bot.parsing import parse_yes_no

YES = [
    "ja", "Ja", "JA!", "jaaa", "ja.", "jazeker", "jawel", "jep", "yes", "ok", "oké",
    "klopt", "dat klopt", "ja, mijn inkomen is lager", "zeker", "zeker weten",
    "absoluut", "inderdaad", "echt wel", "ja hoor", "geen probleem",
    "u heeft gelijk", "\U0001f44d", "ik verdien minder", "mijn inkomen is gedaald",
    "ik ben ontslagen", "klopt, ik verdien nu minder", "mijn inkomen is niet hetzelfde",
]
NO = [
    "nee", "Nee.", "neen", "neee", "nope", "nee hoor", "niet echt", "helemaal niet",
    "nee er is niks veranderd", "geen", "geen andere schulden",
    "ik heb geen andere schulden", "zeker niet", "dat klopt niet", "nooit",
    "mijn inkomen is hetzelfde gebleven", "het is gelijk gebleven",
    "er is niks veranderd", "niets veranderd", "onveranderd",
    "ik verdien niet minder", "niet dat ik weet", "\U0001f44e",
]
UNSURE = [
    "", " ", "weet ik niet", "ik weet het niet", "geen idee", "misschien",
    "wellicht", "ja nee", "ja en nee", "deels", "soms", "hangt ervan af",
    "is uw inkomen veranderd?", "is het veranderd ?", "ja?", "blabla", "100001", "12-04-1988",
    "/affirm", "/affirm{\"x\":1}", "/deny",
]


@pytest.mark.parametrize("text", YES)
def test_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", UNSURE)
def test_unsure(text):
    assert parse_yes_no(text) is None
