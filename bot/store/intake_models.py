"""What the lender sends us (issue 21): its records by its own ids, the payments its books hold,
and the daily jobs the follow-up engine runs once a day (retention, the group-outcome monitor).
"""
from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint

from bot.store.base import Base, utcnow

LENDER_RECORD_KINDS = ("signal", "loan", "payment")


class LenderRecord(Base):
    """One record the lender sent (a risk signal, a loan's books, a payment), by the lender's own
    id. The same id again with the same content changes nothing; with other content it is refused.
    Only a digest of the content is kept: the record itself holds nothing we keep elsewhere."""

    __tablename__ = "lender_records"
    __table_args__ = (UniqueConstraint("kind", "record_id", name="uq_lender_record"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    record_id = Column(String(64), nullable=False)
    digest = Column(String(64), nullable=False)  # sha256 of the record's canonical JSON
    via = Column(String(8), nullable=False)  # http | file
    # No foreign key: erasure removes a customer's records by this id, in any order.
    customer_id = Column(Integer, nullable=True, index=True)
    received_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)


class BookedPayment(Base):
    """A payment the lender's books hold (bot/intake/books.py). One made through one of our links
    or with our transfer reference is linked to its payment row (`payment_id`); `counted_cents` is
    what it takes off the arrears (0 for a payment our webhook already counted), and it stops
    counting once a books figure as of `booked_on` or later includes it."""

    __tablename__ = "booked_payments"

    id = Column(Integer, primary_key=True)
    loan_id = Column(Integer, ForeignKey("loans.id"), nullable=False, index=True)
    record_id = Column(String(64), nullable=False, unique=True)  # the lender's payment id
    amount_cents = Column(Integer, nullable=False)
    booked_on = Column(Date, nullable=False)
    payment_id = Column(Integer, ForeignKey("payments.id"), nullable=True, index=True)
    counted_cents = Column(Integer, nullable=False, default=0)
    instalment_id = Column(Integer, nullable=True)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)


class DailyJob(Base):
    """A job the follow-up engine runs once per local day (bot/followup/daily_jobs.py): the row is
    claimed before the job runs, so of several engines exactly one runs it; one that died half-way
    leaves it `running` until its lease is over, and then another takes it over."""

    __tablename__ = "daily_jobs"

    name = Column(String(32), primary_key=True)
    day = Column(Date, primary_key=True, autoincrement=False)
    status = Column(String(12), nullable=False)  # running | done | failed
    claimed_by = Column(String(64), nullable=False)
    claimed_at = Column(DateTime(timezone=True), nullable=False)
    attempts = Column(Integer, nullable=False, default=1)
    finished_at = Column(DateTime(timezone=True), nullable=True)
    result = Column(JSON, nullable=False, default=dict)
