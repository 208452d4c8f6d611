"""The case of one conversation: what was learned and offered, saved as the talk goes (R20)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.followup import ledger
from bot.followup.contacts import contact_person_for
from bot.outcomes import events
from bot.store.models import Arrangement, Case, Customer, Loan


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
        log(session, case, "conversation_started")
    return case


def latest_case(session: Session, sender_id: str) -> Case | None:
    """The newest case of this conversation, open or closed (a rating may come after closing)."""
    return session.execute(select(Case).where(Case.sender_id == sender_id)
                           .order_by(Case.id.desc()).limit(1)).scalar_one_or_none()


# Events that carry the customer's segment for the group-outcome monitor, as it is at that moment.
SEGMENTED = ("verified", "handed_over", "solution_accepted")


def main_loan(session: Session, customer_id: int) -> Loan | None:
    """The customer's loan with the most arrears: the one a case is about."""
    return session.execute(select(Loan).where(Loan.customer_id == customer_id)
                           .order_by(Loan.arrears_cents.desc(), Loan.id).limit(1)).scalar_one_or_none()


def log(session: Session, case: Case, kind: str, **fields: Any) -> None:
    """An outcome event about this case (R21), with who and where filled in from the case."""
    if kind in SEGMENTED and case.customer_id is not None and "segment" not in fields:
        loan = main_loan(session, case.customer_id)
        if loan is not None:
            fields["segment"] = ledger.case_segment(session.get(Customer, case.customer_id), loan, case)
    events.record(session, kind, customer_id=case.customer_id, case_id=case.id, channel=case.channel, **fields)


def agree(session: Session, case: Case, loan_reference: str | None = None) -> Arrangement | None:
    """The customer agreed to the case's offer (or staff confirmed it): an arrangement to follow up
    when the solution runs over months (with its named contact person, R4), and the outcome event
    either way. Without a reference, the customer's loan with the most arrears."""
    if loan_reference is not None:
        loan = session.execute(select(Loan).where(Loan.reference == loan_reference)).scalar_one()
    else:
        loan = main_loan(session, case.customer_id)
    customer = session.get(Customer, loan.customer_id)
    arrangement = ledger.start_arrangement(session, customer=customer, loan=loan, offer=case.offer or {},
                                           contact_person=contact_person_for(customer.id), case=case)
    if arrangement is None:
        log(session, case, "solution_accepted", reason=(case.offer or {}).get("solution"),
            segment=ledger.case_segment(customer, loan, case))
    return arrangement


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
