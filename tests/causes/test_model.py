"""The trained cause classifier (issue 22 §3): its data, and what it adds to the lexicon.

The sentences below are written for these tests; none is in data/causes/examples.yml or in the
held-out set (tests/understanding/heldout.yml), which test_heldout.py scores.
"""
from collections import Counter

import pytest
import yaml

from bot.causes import CAUSES, classify_cause, explain_cause
from bot.causes.model import load_examples
from tests.understanding.evaluate import HELDOUT_FILE


def test_every_cause_has_at_least_30_varied_examples():
    texts, labels = load_examples()
    counts = Counter(labels)
    assert set(counts) == set(CAUSES)
    assert min(counts.values()) >= 30, counts
    assert len(set(t.lower() for t in texts)) == len(texts), "duplicate training sentences"


def test_the_held_out_set_is_never_trained_on():
    texts, _ = load_examples()
    held = yaml.safe_load(HELDOUT_FILE.read_text(encoding="utf-8"))
    held_texts = {item["text"].lower() for item in held["causes"]} | {item["text"].lower() for item in held["signals"]}
    assert not held_texts & {t.lower() for t in texts}


@pytest.mark.parametrize("text,expected", [
    # phrasings without a single lexicon term: the classifier reads them
    ("de curator heeft laten weten dat mijn loon niet meer komt", "job_loss"),
    ("mijn vrouw heeft geen salaris meer sinds ze thuis is", "income_drop"),
    ("de eindafrekening van het gas was enorm", "one_off_expense"),
    ("mijn vriendin woont nu ergens anders en ik draai voor alles op", "relationship_end"),
    ("de machtiging liep nog via mijn vorige bank", "payment_timing"),
])
def test_the_classifier_reads_what_the_lexicon_has_no_words_for(text, expected):
    result = explain_cause(text)
    assert result.cause == expected
    assert result.term is None and result.probability is not None


def test_a_lexicon_term_keeps_the_priority_of_r7():
    result = explain_cause("ik ben mijn baan kwijt en nu komen er ook schulden bij")
    assert result.cause == "other_debts" and result.term


def test_a_denied_cause_is_never_chosen_by_the_classifier():
    assert classify_cause("ik ben niet ziek en niet ontslagen") not in {"illness", "job_loss"}


def test_the_classifier_is_the_same_on_every_run():
    from bot.causes.model import build_pipeline
    texts, labels = load_examples()
    first = build_pipeline(10.0).fit(texts, labels).predict_proba(["het ging mis met de bank"])
    second = build_pipeline(10.0).fit(texts, labels).predict_proba(["het ging mis met de bank"])
    assert (first == second).all()


@pytest.mark.parametrize("text,expected", [
    ("mijn vriend is verhuisd naar zijn moeder en ik betaal alles alleen", "relationship_end"),
    ("we zijn verhuisd en dat kostte veel", "one_off_expense"),
])
def test_a_partner_who_moved_out_is_not_a_removal_bill(text, expected):  # issue 22
    assert classify_cause(text) == expected
