"""The case of one conversation: what was learned and offered, saved as the talk goes (R20)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, stance
from bot.followup import ledger
from bot.followup.contacts import contact_person_for
from bot.outcomes import events
from bot.solutions import affordability
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
           signals: list[dict[str, str]] | None = None, stance_words: list[stance.Evidence] | None = None,
           **columns: Any) -> Case:
    """Merge what the conversation learned into its case, and what it now shows about the
    customer's stance (R10).

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
    refresh_stance(session, case, stance_words or [])
    return case


def refresh_stance(session: Session, case: Case, said: list[stance.Evidence], now: datetime | None = None) -> str:
    """R10: the case's class from what was said (kept) and from its facts as they are now
    (recomputed, so a class built on facts changes when the facts do)."""
    at = (now or clock.utcnow()).isoformat()
    known = [e for e in map(stance.Evidence.of, case.stance_evidence or []) if e is not None]
    kept = stance.merge([e for e in known if e.kind in ("words", "staff")], said)
    first_seen = {(e.stance, e.kind, e.detail): e.at for e in known}
    loan = main_loan(session, case.customer_id) if case.customer_id is not None else None
    capacity = affordability(case.finances or {})
    facts = stance.from_case([s.get("name") for s in case.signals or [] if isinstance(s, dict)],
                             case.cause, case.cause_structural,
                             int(capacity.monthly_capacity) if capacity else None,
                             loan.monthly_term_cents // 100 if loan else None, at)
    facts = [stance.Evidence(e.stance, e.kind, e.detail, first_seen.get((e.stance, e.kind, e.detail), e.at))
             for e in facts]
    evidence = kept + facts
    case.stance_evidence = [e.as_dict() for e in evidence] or None
    case.stance = stance.classify(evidence) if evidence else None
    return case.stance or stance.UNKNOWN


def judge_stance(session: Session, case: Case, judged: str, reason: str, staff_name: str) -> str:
    """A person's judgement of the case's stance, with the reason (R10: it can change)."""
    if judged not in stance.CLASSES:
        raise ValueError(f"unknown stance {judged!r}")
    evidence = stance.Evidence(judged, "staff", f"{staff_name}: {reason}", clock.utcnow().isoformat())
    return refresh_stance(session, case, [evidence])


def hand_to_person(session: Session, customer_id: int, reason: str, now: datetime) -> Case | None:
    """The customer's newest case goes to the staff queue (unless it is there already), so a
    person contacts them instead of the bot reminding them again (R10)."""
    case = session.execute(select(Case).where(Case.customer_id == customer_id)
                           .order_by(Case.id.desc()).limit(1)).scalar_one_or_none()
    if case is None or case.status == "handed_over":
        return case
    case.status, case.handoff_reason, case.handed_over_at = "handed_over", reason, now
    log(session, case, "handed_over", reason=reason, priority="normal")
    return case
