"""The language remembered on the customer record, so outreach, reminders and pages use it too."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.language.choice import DEFAULT, supported
from bot.store.models import Customer


def stored(session: Session, customer_id: int) -> str | None:
    """The customer's remembered language, or None when they never chose or showed one."""
    customer = session.get(Customer, customer_id)
    return customer.language if customer is not None and customer.language in supported() else None


def remember(session: Session, customer_id: int, language: str) -> None:
    if language not in supported():
        raise ValueError(f"unsupported language: {language!r}")
    customer = session.get(Customer, customer_id)
    if customer is not None and customer.language != language:
        customer.language = language


def language_for(session: Session, customer_id: int | None) -> str:
    """What to write to this customer in when they are not in a conversation (reminders, pages)."""
    return (stored(session, customer_id) if customer_id is not None else None) or DEFAULT


def settle_after_verification(session: Session, customer_id: int, language: str | None,
                              source: str | None) -> str | None:
    """Once we know who the customer is: a language the conversation chose or showed goes on the
    record; otherwise the record's language (if any) is returned for the conversation to adopt."""
    if source in ("asked", "detected") and language in supported():
        remember(session, customer_id, language)
        return None
    remembered = stored(session, customer_id)
    return remembered if remembered and remembered != (language or DEFAULT) else None
