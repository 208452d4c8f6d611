import pytest

from bot.parsing import parse_customer_number


@pytest.mark.parametrize("text, expected", [
    ("100001", "100001"),
    ("mijn klantnummer is 100001", "100001"),
    ("klantnr: 100 001", "100001"),
    ("klantnummer:100001!", "100001"),
    ("100001.", "100001"),
    ("100.001", "100001"),
    ("  100001  ", "100001"),
    ("KN100001", "100001"),
    ("het is 100001, toch?", "100001"),
    ("100001 en ik heb 2 kinderen", "100001"),
    ("100001 100001", "100001"),
    ("0612345678 en mijn nummer is 100001", "100001"),
    ("\uff11\uff10\uff10\uff10\uff10\uff11", "100001"),  # full-width digits
    ("012345", "012345"),
])
def test_recognised(text, expected):
    assert parse_customer_number(text) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "weet ik niet", "12345", "1234567", "10000 1",
    "0612345678", "06-12345678", "06 123456 78", "+31 6 12345678", "+31612345678",
    "12-04-88", "12.04.88", "12/04/1988", "12-04-1988",
    "€100001", "100001 euro", "100001,50",
    "100001 of 100002",
    "/affirm{\"x\":1}", "/inform{\"klantnummer\":\"100001\"}",
    "NL91ABNA0417164300",
])
def test_rejected(text):
    assert parse_customer_number(text) is None
