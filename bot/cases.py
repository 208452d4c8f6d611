"""The case of one conversation: what was learned and offered, saved as the talk goes (R20)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Case


def current_case(session: Session, sender_id: str, channel: str | None = None) -> Case:
    """The open case of this conversation, created on first use."""
    case = session.execute(
        select(Case).where(Case.sender_id == sender_id, Case.status != "closed")
        .order_by(Case.id.desc()).limit(1)
    ).scalar_one_or_none()
    if case is None:
        case = Case(sender_id=sender_id, channel=channel, status="open", answers={}, finances={}, signals=[])
        session.add(case)
        session.flush()
    return case


def record(session: Session, sender_id: str, channel: str | None = None, *,
           answers: dict[str, Any] | None = None, finances: dict[str, Any] | None = None,
           signals: list[dict[str, str]] | None = None, **columns: Any) -> Case:
    """Merge what the conversation learned into its case.

    JSON columns are replaced, not mutated, so SQLAlchemy sees the change.
    """
    case = current_case(session, sender_id, channel)
    if answers:
        case.answers = {**(case.answers or {}), **answers}
    if finances:
        case.finances = {**(case.finances or {}), **finances}
    if signals:
        known = {(s["name"], s["text"]) for s in case.signals or []}
        case.signals = list(case.signals or []) + [s for s in signals if (s["name"], s["text"]) not in known]
    for name, value in columns.items():
        if not hasattr(Case, name):
            raise AttributeError(f"cases has no column {name}")
        setattr(case, name, value)
    return case
