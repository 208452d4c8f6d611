import pytest

from bot.parsing import parse_int
from bot.parsing.numbers import number_word_value


@pytest.mark.parametrize("word, expected", [
    ("nul", 0), ("een", 1), ("twee", 2), ("drie", 3), ("vier", 4), ("vijf", 5),
    ("zes", 6), ("zeven", 7), ("acht", 8), ("negen", 9), ("tien", 10),
    ("elf", 11), ("twaalf", 12), ("dertien", 13), ("veertien", 14),
    ("vijftien", 15), ("zestien", 16), ("zeventien", 17), ("achttien", 18),
    ("negentien", 19), ("twintig", 20), ("eenentwintig", 21),
    ("tweeentwintig", 22), ("negenennegentig", 99), ("honderd", 100),
    ("honderdeen", 101), ("tweehonderd", 200), ("vijftienhonderd", 1500),
    ("duizend", 1000), ("twee duizend vijfhonderd", 2500),
    ("tweeduizendvijfhonderdeenentwintig", 2521),
])
def test_number_words(word, expected):
    assert number_word_value(word) == expected


@pytest.mark.parametrize("word", ["", "xyz", "nulhonderd", "honderdhonderd", "eenen", "en"])
def test_not_number_words(word):
    assert number_word_value(word) is None


@pytest.mark.parametrize("text, expected", [
    ("3", 3), ("drie", 3), ("Drie!", 3), ("3 stuks", 3), ("een", 1),
    ("twaalf", 12), ("elf", 11), ("\u00e9\u00e9n", 1),
    ("3", 3), ("", None), ("geen idee", None), ("2,5", None), ("-3", None),
    ("2 of 3", None), ("ik heb een auto", None), ("/affirm{\"x\":1}", None),
])
def test_parse_int(text, expected):
    assert parse_int(text) == expected
