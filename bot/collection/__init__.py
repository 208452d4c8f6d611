"""Notice before external collection (R6): which loans reach the collection stage, the notice
the customer gets first, and the rule that no case is handed to an agency or bailiff before the
notice went out and its period passed. Policy in collection.yml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.addresses import sms_to
from bot.formatting import format_date_nl
from bot.money import format_euro
from bot.store.models import Arrangement, Case, CollectionNotice, Customer, Loan

POLICY_FILE = Path(__file__).with_name("collection.yml")


@lru_cache(maxsize=1)
def collection_policy() -> dict:
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    if int(data["notice"]["period_days"]) < 1 or int(data["stage"]["min_terms_behind"]) < 1:
        raise ValueError("collection.yml: the notice period and the stage must be at least 1")
    return data


class HandoverRefused(Exception):
    """Said to staff as is: why this case may not go to an external agency (yet)."""


@dataclass(frozen=True)
class Approaching:
    customer_id: int
    customer_number: str
    loan_id: int
    loan_reference: str
    terms_behind: int
    arrears: str
    notice_id: int | None
    notice_sent_at: datetime | None
    handover_from: date | None
    handed_over_at: datetime | None

    def may_hand_over(self, today: date) -> bool:
        return handover_allowed(self.handover_from, self.handed_over_at, today)


def handover_allowed(handover_from: date | None, handed_over_at: datetime | None, today: date) -> bool:
    """Only after the notice went out and its whole period passed, and only once."""
    return handover_from is not None and handed_over_at is None and today >= handover_from


def approaching(session: Session) -> list[Approaching]:
    """Loans at the collection stage (enough terms behind, no arrangement running), with their
    notice if one went out; most terms behind first."""
    minimum = int(collection_policy()["stage"]["min_terms_behind"])
    running = select(Arrangement.loan_id).where(Arrangement.status == "active")
    rows = session.execute(
        select(Loan, Customer.customer_number).join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.terms_behind >= minimum, Loan.arrears_cents > 0, Loan.id.not_in(running))
        .order_by(Loan.terms_behind.desc(), Loan.id)).all()
    notices = {n.loan_id: n for n in session.execute(
        select(CollectionNotice).where(CollectionNotice.loan_id.in_([loan.id for loan, _ in rows]))
        .order_by(CollectionNotice.id)).scalars()}
    found = []
    for loan, number in rows:
        notice = notices.get(loan.id)
        found.append(Approaching(loan.customer_id, number, loan.id, loan.reference, loan.terms_behind,
                                 format_euro(loan.arrears_cents), notice.id if notice else None,
                                 notice.sent_at if notice else None, notice.handover_from if notice else None,
                                 notice.handed_over_at if notice else None))
    return found


def address(session: Session, customer_id: int) -> str | None:
    """Where the notice goes: the customer's newest conversation, else SMS to their phone."""
    sender = session.execute(select(Case.sender_id).where(Case.customer_id == customer_id)
                             .order_by(Case.id.desc()).limit(1)).scalar_one_or_none()
    if sender:
        return sender
    phone = session.get(Customer, customer_id).phone
    return sms_to(phone) if phone else None


def notice_slots(loan: Loan, handover_from: date) -> dict[str, str]:
    return {"arrears_amount": format_euro(loan.arrears_cents), "collection_date": format_date_nl(handover_from)}


def plan_notice(session: Session, loan_id: int, today: date) -> tuple[Loan, date]:
    loan = session.get(Loan, loan_id)
    if loan is None or loan.terms_behind < int(collection_policy()["stage"]["min_terms_behind"]):
        raise HandoverRefused("Deze lening is niet in de fase voor incasso.")
    if session.execute(select(CollectionNotice.id).where(CollectionNotice.loan_id == loan_id)).first():
        raise HandoverRefused("De vooraankondiging is al verstuurd.")
    return loan, today + timedelta(days=int(collection_policy()["notice"]["period_days"]))


def record_notice(session: Session, loan: Loan, sender_id: str, handover_from: date, staff_id: int | None) -> int:
    notice = CollectionNotice(customer_id=loan.customer_id, loan_id=loan.id, sender_id=sender_id,
                              sent_at=clock.utcnow(), sent_by=staff_id, handover_from=handover_from,
                              policy_version=str(collection_policy()["version"]))
    session.add(notice)
    session.flush()
    return notice.id


def hand_over(session: Session, loan_id: int, staff_id: int, today: date) -> CollectionNotice:
    """R6: the handover to an external agency, refused before the notice and its period."""
    notice = session.execute(select(CollectionNotice).where(CollectionNotice.loan_id == loan_id)
                             .order_by(CollectionNotice.id.desc()).limit(1)).scalar_one_or_none()
    if notice is None:
        raise HandoverRefused("Eerst moet de klant de vooraankondiging krijgen.")
    if notice.handed_over_at is not None:
        raise HandoverRefused("Deze zaak is al overgedragen.")
    if not handover_allowed(notice.handover_from, None, today):
        raise HandoverRefused(f"Overdragen kan pas vanaf {format_date_nl(notice.handover_from)}: "
                              "de klant heeft tot dan de tijd.")
    if session.get(Loan, loan_id).arrears_cents <= 0:
        raise HandoverRefused("De achterstand is betaald: niet overdragen.")
    running = session.execute(select(Arrangement.id).where(Arrangement.loan_id == loan_id,
                                                           Arrangement.status == "active")).first()
    if running:
        raise HandoverRefused("De klant heeft inmiddels een regeling: niet overdragen.")
    notice.handed_over_at, notice.handed_over_by = clock.utcnow(), staff_id
    return notice
