"""The customer's language from their own words: a switch asked for, or their first messages (issue 27)."""
from __future__ import annotations

import pytest

from bot.language.choice import detect_language, requested_language


@pytest.mark.parametrize("text, language", [
    ("in English please", "en"),
    ("English pls", "en"),
    ("can we speak english?", "en"),
    ("I don't speak Dutch", "en"),
    ("sorry my dutch is not good", "en"),
    ("Engels graag", "en"),
    ("ik spreek geen Nederlands", "en"),
    ("Nederlands graag", "nl"),
    ("kan het in het nederlands", "nl"),
    ("Dutch please", "nl"),
])
def test_a_switch_is_heard_in_either_language(text, language):
    assert requested_language(text) == language


@pytest.mark.parametrize("text", [
    "hoi", "ja", "100002", "ik heb een brief gekregen",
    # A long story that mentions a language is not a request to switch.
    "ik ben mijn baan kwijt en nu moet ik ook nog een cursus nederlands betalen dus het lukt echt niet meer",
])
def test_no_switch_without_a_request(text):
    assert requested_language(text) is None


def test_one_english_word_decides_nothing():
    assert detect_language(["hello"]) is None
    assert detect_language(["ok sorry"]) is None
    assert detect_language(["hoi", "100002"]) is None


def test_an_english_sentence_decides_english():
    assert detect_language(["hello, I got a message that I'm behind on my loan payments"]) == "en"
    # Evidence adds up over the first messages: two short ones together are enough.
    assert detect_language(["hi there", "i cant pay this month"]) == "en"


def test_dutch_with_english_loanwords_stays_dutch():
    assert detect_language(["hoi, ik heb een brief gekregen over mijn lening"]) == "nl"
    assert detect_language(["sorry, ik ben mijn job kwijt en kan niet betalen, ok?"]) == "nl"
    assert detect_language(["ik heb een deadline gemist voor de payment, sorry"]) == "nl"
