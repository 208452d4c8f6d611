"""The values inside a response (dates, periods, loan names, amounts) in the customer's language.

Our actions write those values the Dutch way ("3 maanden", "12 november 2026", "€ 1.150"); a response
in another language shows them through that language's languages/<code>/values.yml. Rasa-free, so the
web pages and the follow-up engine can use it too.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .choice import DEFAULT, LANGUAGES_DIR
from .lexicon import load_yaml

# "€ 1.150" or "€ 2.100,50", as bot.money.format_euro writes them.
_EURO = re.compile(r"€\s?(\d{1,3}(?:\.\d{3})*)(?:,(\d{2}))?(?!\d)")


@lru_cache(maxsize=8)
def _table(language: str) -> tuple[re.Pattern | None, dict[str, str], dict]:
    path = LANGUAGES_DIR / language / "values.yml"
    if language == DEFAULT or not path.exists():
        return None, {}, {}
    data = load_yaml(str(path))
    phrases = {str(k).lower(): str(v) for k, v in (data.get("phrases") or {}).items()}
    pattern = re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b",
                         re.IGNORECASE) if phrases else None
    return pattern, phrases, data.get("money") or {}


def _money(match: re.Match, money: dict) -> str:
    whole = match.group(1).replace(".", money.get("thousands", "."))
    cents = match.group(2)
    amount = whole + (money.get("decimal", ",") + cents if cents else "")
    return "€" + (" " if money.get("space_after_symbol", True) else "") + amount


def localise(value: Any, language: str) -> Any:
    """`value` as a reader of `language` expects it; anything but text, and links, stay as they are."""
    if not isinstance(value, str) or language == DEFAULT or value.startswith(("http://", "https://")):
        return value
    pattern, phrases, money = _table(language)
    if money:
        value = _EURO.sub(lambda m: _money(m, money), value)
    if pattern is not None:
        value = pattern.sub(lambda m: phrases[m.group(1).lower()], value)
    return value


def localise_all(values: dict[str, Any], language: str) -> dict[str, Any]:
    return {name: localise(value, language) for name, value in values.items()}
