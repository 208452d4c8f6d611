"""Signal detection (R19): unit tests per signal, negation, and the labelled set's scores."""
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.language import is_negated, normalise, split_clauses, tokenize, within_one_edit
from bot.language.patterns import find_spans
from bot.signals import SIGNAL_NAMES, Signal, detect_signals, lexicon_version, merge_signals
from bot.signals.evaluation import load_examples, predict, score

LABELLED = Path(__file__).with_name("labelled.yml")


def names(text):
    return {s.name for s in detect_signals(text)}


# --- text helpers -----------------------------------------------------------------------

def test_normalise_strips_accents_case_and_spaces_keeps_digits():
    assert normalise("  Ik   heb  ÉÉN   Ruzie\tmet  Zoë  113 ") == "ik heb een ruzie met zoe 113"


def test_tokenize_keeps_clause_punctuation_and_line_breaks():
    assert tokenize("Geen idee,\nm’n loon!") == ("geen", "idee", ",", "m'n", "loon", "!")
    assert tokenize("geen idee\ndeurwaarder") == ("geen", "idee", ".", "deurwaarder")


def test_typo_tolerance_is_one_edit():
    assert within_one_edit("deurwaader", "deurwaarder")
    assert within_one_edit("sheiding", "scheiding")
    assert within_one_edit("ziekte", "zikete")  # neighbour swap
    assert not within_one_edit("deurwaar", "deurwaarder")


@pytest.mark.parametrize("term,text", [
    ("loonbeslag", "twee loonbeslagen"),
    ("*deurwaarder", "de gerechtsdeurwaarder"),
    ("deurwaarder", "de deurwaader"),
    ("beslag op ... (loon|uitkering)", "beslag op m'n loon"),
    ("paniekaanval*", "paniekaanvallen"),
])
def test_tolerant_matching(term, text):
    assert list(find_spans(term, tokenize(text)))


def test_short_words_get_no_typo_tolerance():
    assert not list(find_spans("ziek", tokenize("ik zie het")))


def test_clauses_split_on_punctuation_and_maar_want_en():
    tokens = tokenize("geen idee maar er is een deurwaarder, want ik heb schulden en stress")
    assert split_clauses(tokens) == [["geen", "idee"], ["er", "is", "een", "deurwaarder"],
                                     ["ik", "heb", "schulden"], ["stress"]]


@pytest.mark.parametrize("text,negated", [
    ("ik heb geen deurwaarder", True),
    ("er is nooit een deurwaarder geweest", True),
    ("zonder deurwaarder", True),
    ("er is geen sprake van een deurwaarder", True),
    ("geen idee maar er staat wel een deurwaarder", False),
    ("ik weet het niet, de deurwaarder kwam", False),
    ("niet alleen de deurwaarder", False),
])
def test_negation_scope(text, negated):
    tokens = tokenize(text)
    assert is_negated(tokens, tokens.index("deurwaarder")) is negated


# --- one test per signal --------------------------------------------------------------

@pytest.mark.parametrize("signal,text", [
    ("garnishment", "er ligt beslag op m'n uitkering"),
    ("garnishment", "loonbeslag sinds mei"),
    ("bailiff", "de deurwaarder kwam langs"),
    ("bailiff", "ik kreeg een exploot"),
    ("multiple_creditors", "ik heb schulden bij het incassobureau"),
    ("multiple_creditors", "achterstand bij de zorgverzekering"),
    ("multiple_creditors", "duo en het cjib willen ook geld"),
    ("job_loss", "ik ben ontslagen"),
    ("relationship_end", "we zijn uit elkaar"),
    ("bereavement", "mijn moeder is overleden"),
    ("illness", "ik heb een burn-out"),
    ("addiction", "ik ben verslaafd aan online gokken"),
    ("mental_distress", "ik slaap niet meer van de stress"),
    ("low_literacy", "ik snap de brieven niet"),
    ("crisis", "ik wil er een eind aan maken"),
    ("crisis", "ik zie het niet meer zitten"),
])
def test_each_signal(signal, text):
    assert signal in names(text)


def test_crisis_is_not_distress_and_never_negated():
    assert names("ik zie het niet meer zitten") == {"crisis"}
    assert "crisis" in names("ik denk niet aan zelfmoord")


def test_cake_batter_is_not_garnishment():
    assert names("het beslag voor de taart") == set()


def test_signal_carries_term_and_message_and_is_frozen():
    text = "de deurwaader kwam, ik heb ook loonbeslag"
    found = detect_signals(text)
    assert [s.name for s in found] == ["garnishment", "bailiff"]
    assert all(s.text == text for s in found)
    assert found[1].term == "*deurwaarder"
    with pytest.raises(FrozenInstanceError):
        found[0].name = "x"


def test_at_most_one_signal_per_name():
    found = detect_signals("deurwaarder, deurwaarder en nog een gerechtsdeurwaarder")
    assert [s.name for s in found] == ["bailiff"]


def test_empty_and_odd_input():
    for text in ["", "   ", "\n\n", "😀👍", "?!?!", "x" * 2000]:
        assert detect_signals(text) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_known_signals_at_most_once(text):
    found = [s.name for s in detect_signals(text)]
    assert len(found) == len(set(found)) and set(found) <= set(SIGNAL_NAMES)


def test_domain_code_does_not_import_rasa():
    root = Path(__file__).resolve().parents[2] / "bot"
    for folder in ("language", "signals", "causes"):
        for path in (root / folder).glob("*.py"):
            assert "rasa" not in path.read_text(encoding="utf-8"), path


def test_merge_signals_sorted_unique():
    new = [Signal("illness", "ziek", "ik ben ziek"), Signal("bailiff", "*deurwaarder", "t")]
    assert merge_signals(["illness", "addiction"], new) == ["addiction", "bailiff", "illness"]
    assert merge_signals([], []) == []


def test_lexicon_is_versioned():
    assert lexicon_version()


# --- labelled set -----------------------------------------------------------------------

def test_labelled_set_is_big_and_varied_enough():
    examples = load_examples(LABELLED)
    assert len(examples) >= 180
    assert sum("negation" in e.tags for e in examples) >= 30
    assert sum("near_word" in e.tags and not e.signals for e in examples) >= 30
    assert {n for e in examples for n in e.signals} == set(SIGNAL_NAMES)


def test_labelled_set_scores():
    result = score(predict(load_examples(LABELLED)))
    assert result["micro"].f1 >= 0.95
    assert result["crisis"].recall == 1.0
    for name in SIGNAL_NAMES:
        assert result[name].precision >= 0.9, name
        assert result[name].recall >= 0.8, name


def test_the_first_letter_filter_never_changes_a_match():
    # compile_phrase records which first letters a match can start with, and find_matches skips
    # other tokens (issue 7: detection on every message got five times faster). Every term of the
    # signal and cause lexicons, over every labelled message, matches as without the filter.
    import dataclasses

    from bot.causes.classify import _rules
    from bot.language.patterns import compile_phrase, find_matches
    from bot.signals.detect import _lexicon

    categories, no_typo, _ = _lexicon()
    terms = {t for c in categories for t in c.terms + c.excludes}
    rules = _rules()
    terms |= {t for group in (rules.terms, rules.excludes) for ts in group.values() for t in ts}
    messages = [tokenize(e.text) for e in load_examples(LABELLED)]
    filtered = 0
    for term in sorted(terms):
        phrase = compile_phrase(term)
        unfiltered = dataclasses.replace(phrase, starts=None)
        filtered += phrase.starts is not None
        for tokens in messages:
            assert list(find_matches(phrase, tokens, no_typo)) == list(find_matches(unfiltered, tokens, no_typo)), term
    assert filtered > len(terms) // 2
