import pytest

from bot.parsing import HOUSEHOLD_TYPES, parse_children, parse_household_type


@pytest.mark.parametrize("text, expected", [
    ("alleen", "single"),
    ("ik woon alleen", "single"),
    ("alleenstaand", "single"),
    ("Alleenstaande", "single"),
    ("ik ben een alleenstaande man", "single"),
    ("op mezelf", "single"),
    ("vrijgezel", "single"),
    ("samen met mijn vriendin", "couple"),
    ("getrouwd", "couple"),
    ("samenwonend", "couple"),
    ("met m'n vrouw", "couple"),
    ("getrouwd, geen kinderen", "couple"),
    ("niet alleen, met mijn vriendin", "couple"),
    ("alleenstaande moeder van 2", "single_parent"),
    ("ik en mijn 2 kinderen", "single_parent"),
    ("gescheiden, 2 kinderen", "single_parent"),
    ("eenoudergezin", "single_parent"),
    ("alleen met mijn dochter", "single_parent"),
    ("ik woon samen met mijn 2 kinderen", "single_parent"),
    ("samen met mijn man en de kinderen", "couple_with_children"),
    ("met mijn man en de kinderen", "couple_with_children"),
    ("gezin", "couple_with_children"),
    ("samen met mijn vrouw en 3 kids", "couple_with_children"),
    ("getrouwd en twee kinderen", "couple_with_children"),
    ("single", "single"),
    ("couple", "couple"),
    ("single_parent", "single_parent"),
    ("couple_with_children", "couple_with_children"),
    (" Single ", "single"),
])
def test_household_type(text, expected):
    assert parse_household_type(text) == expected
    assert expected in HOUSEHOLD_TYPES


@pytest.mark.parametrize("text", [
    "", "nee", "weet ik niet", "2 kinderen", "ik woon bij mijn moeder",
    "alleen, maar met mijn vriendin", "/inform{\"household\":\"single\"}", "100001",
])
def test_household_type_unclear(text):
    assert parse_household_type(text) is None


@pytest.mark.parametrize("text, expected", [
    ("2", 2), ("twee", 2), ("Twee.", 2), ("geen", 0), ("geen kinderen", 0),
    ("nee", 0), ("0", 0), ("nul", 0), ("kinderloos", 0),
    ("drie kids", 3), ("1 kind", 1), ("een kind", 1), ("één kind", 1), ("een", 1),
    ("ik heb 4 kinderen", 4), ("2 kinderen van 5 en 8 jaar", 2),
    ("ik heb een zoon en een dochter", 2), ("twee zonen en een dochter", 3),
    ("vijftien", 15), ("elf kinderen", 11), ("geen, wel 1 op komst", 0),
])
def test_children(text, expected):
    assert parse_children(text) == expected


@pytest.mark.parametrize("text", [
    "", "weet ik niet", "16", "20 kinderen", "-1", "2 of 3", "twee of drie",
    "ik heb kinderen", "1,5", "/inform{\"children\":2}",
])
def test_children_unclear(text):
    assert parse_children(text) is None
