"""Who is this? Verification against the lender's records, held server-side.

Customer number plus birth date, or, on a channel that knows the phone number, that number plus
birth date. Nothing here tells an unverified person whether a customer number exists.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Customer, VerificationFailure


def normalise_phone(phone: str) -> str:
    """E.164 for Dutch numbers: 06..., 0031 6... and +31 6... all become +316..."""
    digits = re.sub(r"[^\d+]", "", phone.removeprefix("whatsapp:"))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+31" + digits[1:]
    return digits


def verify_customer(session: Session, customer_number: str, birth_date: date) -> int | None:
    row = session.execute(
        select(Customer.id, Customer.birth_date).where(Customer.customer_number == customer_number)
    ).first()
    return row.id if row and row.birth_date == birth_date else None


def customer_for_phone(session: Session, phone: str) -> int | None:
    ids = session.execute(
        select(Customer.id).where(Customer.phone == normalise_phone(phone))
    ).scalars().all()
    # A number shared by two customers identifies nobody.
    return ids[0] if len(ids) == 1 else None


def verify_by_phone(session: Session, phone: str, birth_date: date) -> int | None:
    customer_id = customer_for_phone(session, phone)
    if customer_id is None:
        return None
    born = session.execute(select(Customer.birth_date).where(Customer.id == customer_id)).scalar_one()
    return customer_id if born == birth_date else None


def record_failure(session: Session, customer_number: str, sender_id: str, now: datetime) -> None:
    session.add(VerificationFailure(customer_number=customer_number, sender_id=sender_id, failed_at=now))


def is_locked(session: Session, customer_number: str, now: datetime, max_attempts: int,
              lock_minutes: int) -> bool:
    """Too many failures for this customer number lately, whoever and wherever they came from."""
    since = now - timedelta(minutes=lock_minutes)
    failures = session.execute(
        select(func.count(VerificationFailure.id)).where(
            VerificationFailure.customer_number == customer_number, VerificationFailure.failed_at >= since)
    ).scalar_one()
    return failures >= max_attempts


def customer_number_of(session: Session, customer_id: int | None) -> str | None:
    if customer_id is None:
        return None
    return session.execute(select(Customer.customer_number).where(Customer.id == customer_id)).scalar_one()
