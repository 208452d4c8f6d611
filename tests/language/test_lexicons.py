"""Every language's lexicons (signals, causes, wishes) are readable and add to the Dutch ones (issue 27)."""
from __future__ import annotations

import pytest
import yaml

from bot.causes.classify import explain_cause
from bot.language.choice import LANGUAGES_DIR
from bot.language.patterns import compile_phrase
from bot.policy.wishes import read_wish


def terms_of(path) -> list[str]:
    data = yaml.safe_load(path.read_text())
    found: list[str] = list(data.get("exclude") or [])
    for entry in (data.get("signals") or data.get("causes") or data.get("wishes") or {}).values():
        found += entry if isinstance(entry, list) else (entry.get("terms") or []) + (entry.get("exclude") or [])
    return found


@pytest.mark.parametrize("path", sorted(p for name in ("signals", "causes", "wishes")
                                        for p in LANGUAGES_DIR.glob(f"*/{name}.yml")), ids=str)
def test_every_term_compiles(path):
    for term in terms_of(path):
        compile_phrase(str(term))


@pytest.mark.parametrize("text, cause", [
    ("I lost my job two months ago", "job_loss"), ("I just forgot to pay", "forgot"),
    ("my wife left me and now I pay everything alone", "relationship_end"),
    ("my car broke down and the repair was expensive", "one_off_expense"),
    ("I work fewer hours now", "income_drop"), ("my salary comes in after you take the money", "payment_timing"),
    ("I have other debts too", "other_debts"), ("I didn't lose my job, I forgot", "forgot"),
    ("ik ben mijn baan kwijt", "job_loss"),
])
def test_causes_in_english(text, cause):
    assert explain_cause(text).cause == cause


@pytest.mark.parametrize("text, wish", [
    ("can I pay in instalments", "arrangement"), ("I need a break for two months", "pause"),
    ("I want to talk to a real person", "person"), ("I want to pay it all now", "pay_now"),
    ("I don't want a payment plan", None), ("I lost my job", None), ("ik wil een regeling", "arrangement"),
])
def test_wishes_in_english(text, wish):
    assert read_wish(text) == wish
