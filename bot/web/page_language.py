"""Customer pages in the customer's language (issue 27): a page translated into another language
lives in languages/<code>/pages/ under the same name; its fixed texts (payment states) are in
languages/<code>/pages.yml, and the values the routes compute go through that language's
values.yml. A page that has no translation yet is shown in Dutch."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot import customer_language
from bot.language.choice import DEFAULT, LANGUAGES_DIR
from bot.language.lexicon import load_yaml
from bot.language.values import localise
from bot.store.db import session_scope


def template_for(name: str, language: str) -> str:
    """The template to render: the translated one when it exists (the loader also reads LANGUAGES_DIR)."""
    if language != DEFAULT and (LANGUAGES_DIR / language / "pages" / name).exists():
        return f"{language}/pages/{name}"
    return name


@lru_cache(maxsize=8)
def texts(language: str) -> dict[str, Any]:
    path = LANGUAGES_DIR / language / "pages.yml"
    return load_yaml(str(path)) if language != DEFAULT and path.exists() else {}


def text(language: str, group: str, key: str, dutch: str) -> str:
    """A fixed page text in `language`, or the Dutch one the route holds."""
    return (texts(language).get(group) or {}).get(key, dutch)


def localised(value: Any, language: str) -> Any:
    """Every text inside a page's view (dates, periods, states) in `language`."""
    if isinstance(value, dict):
        return {k: localised(v, language) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(localised(v, language) for v in value)
    return localise(value, language)


def language_of_customer(customer_id: int | None, database_url: str | None) -> str:
    if customer_id is None:
        return DEFAULT
    with session_scope(database_url) as session:
        return customer_language.language_for(session, customer_id)
