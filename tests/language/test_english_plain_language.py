"""The English twin of the Dutch plain-language check: Flesch reading ease, jargon, threats (issue 27)."""
from __future__ import annotations

import re

import yaml

from bot.language.choice import LANGUAGES_DIR

RULES = yaml.safe_load((LANGUAGES_DIR / "en" / "plain_language.yml").read_text())
VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Vowel groups, minus a silent final e ("make", not "table"): the usual English estimate."""
    word = word.lower()
    count = len(VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def reading_ease(text: str) -> float | None:
    """Flesch (1948): 206.835 - 1.015 words per sentence - 84.6 syllables per word."""
    text = re.sub(r"\{[^}]*\}", "X", text)
    sentences = [s for s in re.split(r"[.!?:]+(?:\s|$)|\n+", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)*", text)
    if not words or not sentences:
        return None
    return 206.835 - 1.015 * len(words) / len(sentences) - 84.6 * sum(map(syllables, words)) / len(words)


def texts() -> list[tuple[str, str]]:
    data = yaml.safe_load((LANGUAGES_DIR / "en" / "responses.yml").read_text())["responses"]
    return [(name, v["text"]) for name, variations in data.items() for v in variations]


def test_the_formula_separates_plain_from_dense_english():
    assert reading_ease("We can fix this. Let's look at it together.") > 90
    assert reading_ease("Notwithstanding the aforementioned contractual obligations, remuneration "
                        "is compulsorily recoverable.") < 10


def test_english_responses_read_easily():
    scored = [(reading_ease(text), name) for name, text in texts()]
    scored = [(s, n) for s, n in scored if s is not None]
    mean = sum(s for s, _ in scored) / len(scored)
    worst = min(scored)
    print(f"English plain language: {len(scored)} variations, Flesch mean {mean:.1f}, worst {worst[0]:.1f} ({worst[1]})")
    assert mean >= RULES["min_mean_reading_ease"]
    assert [n for s, n in scored if s < RULES["min_reading_ease"]] == []


def test_no_jargon_or_threats_in_english():
    found = [(name, term) for name, text in texts() for term in RULES["jargon"] + RULES["threat"]
             if re.search(rf"\b{re.escape(term)}\b", text.lower())]
    assert found == []
